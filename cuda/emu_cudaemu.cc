//go:build cudaemu && !cuda

// A CPU emulator for the kernels: the same .cu sources compiled as C++ with
// XL_EMULATE, so that the kernel logic (indexing, reductions, the math) is
// tested by `make cuda-emu-test` on machines without a GPU. It says nothing
// about the PTX the driver runs beyond that both come from these sources.
#define XL_EMULATE 1
#include "xlstm_cuda.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "adamw.cu"
#include "conv.cu"
#include "elementwise.cu"
#include "gates.cu"
#include "matmul.cu"
#include "mlstm.cu"
#include "mlstm_bwd.cu"
#include "norm.cu"
#include "quant.cu"
#include "slstm.cu"
#include "xent.cu"

thread_local xl_emu_thread xl_emu;

namespace {

template <typename T>
T xl_arg(uint64_t v) {
  if constexpr (std::is_pointer_v<T>) {
    return reinterpret_cast<T>(static_cast<uintptr_t>(v));
  } else if constexpr (std::is_same_v<T, double>) {
    return std::bit_cast<double>(v);
  } else {
    return static_cast<T>(v);
  }
}

template <typename... P, std::size_t... I>
void xl_call(void (*f)(P...), const uint64_t *a, std::index_sequence<I...>) {
  f(xl_arg<P>(a[I])...);
}

struct entry {
  void (*invoke)(const uint64_t *);
  int nparams;
};

template <auto F, typename... P>
entry make_entry(void (*)(P...)) {
  return entry{[](const uint64_t *a) { xl_call(F, a, std::index_sequence_for<P...>{}); }, (int)sizeof...(P)};
}

#define XL_REG(fn) {#fn, make_entry<fn>(fn)}

const std::map<std::string, entry> &registry() {
  static const std::map<std::string, entry> r = {
      XL_REG(xl_sumsq), XL_REG(xl_clip_scale), XL_REG(xl_adamw),
      XL_REG(xl_conv_fwd), XL_REG(xl_conv_bwd_x), XL_REG(xl_conv_bwd_w),
      XL_REG(xl_add), XL_REG(xl_mul), XL_REG(xl_axpy), XL_REG(xl_scale), XL_REG(xl_fill),
      XL_REG(xl_add_bias), XL_REG(xl_bias_grad), XL_REG(xl_act_fwd), XL_REG(xl_act_bwd),
      XL_REG(xl_glu_fwd), XL_REG(xl_glu_bwd), XL_REG(xl_embed), XL_REG(xl_embed_bwd),
      XL_REG(xl_softcap_fwd), XL_REG(xl_softcap_bwd), XL_REG(xl_sigmoid_gate_fwd),
      XL_REG(xl_sigmoid_gate_bwd), XL_REG(xl_mlstm_out_fwd), XL_REG(xl_mlstm_out_bwd),
      XL_REG(xl_mlstm_out_bwd_skip), XL_REG(xl_gemm), XL_REG(xl_mlstm_fwd),
      XL_REG(xl_mlstm_bwd_prep), XL_REG(xl_mlstm_bwd_rows), XL_REG(xl_mlstm_bwd_cols),
      XL_REG(xl_mlstm_bwd_gates), XL_REG(xl_layernorm_fwd), XL_REG(xl_layernorm_bwd),
      XL_REG(xl_layernorm_bwd_w), XL_REG(xl_rmsnorm_fwd), XL_REG(xl_rmsnorm_bwd),
      XL_REG(xl_rmsnorm_bwd_w), XL_REG(xl_f32_to_f16_k), XL_REG(xl_f32_to_bf16_k),
      XL_REG(xl_f16_to_f32_k), XL_REG(xl_bf16_to_f32_k), XL_REG(xl_quantize),
      XL_REG(xl_dequantize), XL_REG(xl_slstm_fwd), XL_REG(xl_slstm_bwd), XL_REG(xl_slstm_bwd_r),
      XL_REG(xl_xent),
  };
  return r;
}

}  // namespace

extern "C" {

// xl_emu_nparams returns the kernel's parameter count, or −1 if unknown.
int xl_emu_nparams(const char *name) {
  auto it = registry().find(name);
  return it == registry().end() ? -1 : it->second.nparams;
}

// xl_emu_launch runs a kernel on grid × block emulated threads: one host
// thread per CUDA thread, the grid's blocks one after another.
int xl_emu_launch(const char *name, int gx, int gy, int gz, int bx, int by, int bz, const uint64_t *args) {
  auto it = registry().find(name);
  if (it == registry().end()) return -1;
  auto invoke = it->second.invoke;
  int nt = bx * by * bz;
  std::barrier<> bar(nt);
  std::vector<std::thread> threads;
  threads.reserve(nt);
  for (int t = 0; t < nt; t++) {
    threads.emplace_back([&, t] {
      xl_emu.bar = &bar;
      xl_emu.ntid[0] = bx, xl_emu.ntid[1] = by, xl_emu.ntid[2] = bz;
      xl_emu.nctaid[0] = gx, xl_emu.nctaid[1] = gy, xl_emu.nctaid[2] = gz;
      xl_emu.tid[0] = t % bx, xl_emu.tid[1] = (t / bx) % by, xl_emu.tid[2] = t / (bx * by);
      for (int z = 0; z < gz; z++)
        for (int y = 0; y < gy; y++)
          for (int x = 0; x < gx; x++) {
            xl_emu.ctaid[0] = x, xl_emu.ctaid[1] = y, xl_emu.ctaid[2] = z;
            invoke(args);
            bar.arrive_and_wait();  // the next block reuses the shared statics
          }
    });
  }
  for (auto &th : threads) th.join();
  return 0;
}

}  // extern "C"
