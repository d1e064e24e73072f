/* cuda/compat/cuda.h: put first on the include path (CGO_CFLAGS=-I.../cuda/compat,
 * see mk/cuda.mk) when building gorgonia.org/cu v0.9.6 against CUDA 13's
 * cuda.h. It includes the real header, then maps the three driver calls
 * whose signatures CUDA 13 changed back to the CUDA 12 forms gorgonia calls:
 *   cuCtxCreate(ctx, flags, dev)               -> cuCtxCreate(ctx, NULL, flags, dev)
 *   cuMemAdvise(ptr, n, advice, device)        -> location {device or host}
 *   cuMemPrefetchAsync(ptr, n, device, stream) -> location {device or host}, flags 0
 * Older headers pass through untouched. */
#ifndef XLSTM_CUDA_COMPAT_H
#define XLSTM_CUDA_COMPAT_H

#include_next <cuda.h>

#if defined(CUDA_VERSION) && CUDA_VERSION >= 13000

static inline CUmemLocation xlstm_compat_location(CUdevice dev) {
  CUmemLocation loc;
  loc.type = dev == CU_DEVICE_CPU ? CU_MEM_LOCATION_TYPE_HOST : CU_MEM_LOCATION_TYPE_DEVICE;
  loc.id = dev == CU_DEVICE_CPU ? 0 : (int)dev;
  return loc;
}

/* Each wrapper calls the header's own name (a macro or a function) before
 * that name is redefined below. */
static inline CUresult xlstm_compat_cuCtxCreate(CUcontext *pctx, unsigned int flags, CUdevice dev) {
  return cuCtxCreate(pctx, (CUctxCreateParams *)0, flags, dev);
}

static inline CUresult xlstm_compat_cuMemAdvise(CUdeviceptr p, size_t n, CUmem_advise advice, CUdevice dev) {
  return cuMemAdvise(p, n, advice, xlstm_compat_location(dev));
}

static inline CUresult xlstm_compat_cuMemPrefetchAsync(CUdeviceptr p, size_t n, CUdevice dev, CUstream s) {
  return cuMemPrefetchAsync(p, n, xlstm_compat_location(dev), 0, s);
}

#undef cuCtxCreate
#undef cuMemAdvise
#undef cuMemPrefetchAsync
#define cuCtxCreate xlstm_compat_cuCtxCreate
#define cuMemAdvise xlstm_compat_cuMemAdvise
#define cuMemPrefetchAsync xlstm_compat_cuMemPrefetchAsync

#endif /* CUDA_VERSION >= 13000 */
#endif /* XLSTM_CUDA_COMPAT_H */
