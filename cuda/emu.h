// emu.h: the CUDA thread model on the host, included by xlstm_cuda.h when
// XL_EMULATE is defined (only emu_cudaemu.cc does). Each emulated CUDA
// thread is a host thread with its indices in thread-local storage; a
// block's threads meet at a std::barrier for xl_sync.
#ifndef XLSTM_EMU_H
#define XLSTM_EMU_H

#include <barrier>

struct xl_emu_thread {
  int tid[3], ntid[3], ctaid[3], nctaid[3];
  std::barrier<> *bar;
};

extern thread_local xl_emu_thread xl_emu;

static inline int tid_x() { return xl_emu.tid[0]; }
static inline int tid_y() { return xl_emu.tid[1]; }
static inline int ntid_x() { return xl_emu.ntid[0]; }
static inline int ntid_y() { return xl_emu.ntid[1]; }
static inline int ctaid_x() { return xl_emu.ctaid[0]; }
static inline int ctaid_y() { return xl_emu.ctaid[1]; }
static inline int ctaid_z() { return xl_emu.ctaid[2]; }
static inline int nctaid_x() { return xl_emu.nctaid[0]; }
static inline void xl_sync() { xl_emu.bar->arrive_and_wait(); }

static inline void xl_atomic_min_i64(long long *p, long long v) {
  long long cur = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (v < cur && !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

#endif
