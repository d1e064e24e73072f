//go:build cuda

package cuda

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <cuda.h>

// gorgonia.org/cu calls cuInit in its package init and exits the process
// when it fails (no GPU, driver/library mismatch). This definition, in the
// executable, takes precedence over libcuda's for every caller in it: it
// forwards to the real cuInit and, on failure, records the error and reports
// success, so the process lives and Available returns the error instead.
static CUresult xlstm_cuinit_err = CUDA_SUCCESS;
static int xlstm_cuinit_called = 0;

CUresult cuInit(unsigned int flags) {
	CUresult (*real)(unsigned int) = (CUresult (*)(unsigned int))dlsym(RTLD_NEXT, "cuInit");
	xlstm_cuinit_called = 1;
	if (real == 0) {
		xlstm_cuinit_err = CUDA_ERROR_NOT_INITIALIZED;
		return CUDA_SUCCESS;
	}
	CUresult r = real(flags);
	if (r != CUDA_SUCCESS) {
		xlstm_cuinit_err = r;
		return CUDA_SUCCESS;
	}
	xlstm_cuinit_err = CUDA_SUCCESS;
	return r;
}

static int xlstm_cuinit_status(void) {
	if (!xlstm_cuinit_called) return -1;
	return (int)xlstm_cuinit_err;
}
*/
import "C"

import "fmt"

// initError returns the error of the driver's cuInit, as recorded above.
func initError() error {
	switch st := int(C.xlstm_cuinit_status()); st {
	case 0:
		return nil
	case -1:
		return fmt.Errorf("cuda: the driver was never initialised (cuInit not called)")
	default:
		return fmt.Errorf("cuda: no usable GPU: cuInit failed with %s (%d)", resultName(st), st)
	}
}

// resultName names the CUresult codes that cuInit returns in practice.
func resultName(code int) string {
	switch code {
	case 3:
		return "CUDA_ERROR_NOT_INITIALIZED"
	case 35:
		return "CUDA_ERROR_INSUFFICIENT_DRIVER (the driver is older than the CUDA library)"
	case 100:
		return "CUDA_ERROR_NO_DEVICE (no CUDA-capable GPU is visible)"
	case 101:
		return "CUDA_ERROR_INVALID_DEVICE"
	case 999:
		return "CUDA_ERROR_UNKNOWN"
	case 304:
		return "CUDA_ERROR_OPERATING_SYSTEM"
	}
	return "CUresult"
}
