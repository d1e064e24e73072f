# CUDA kernels (cuda/): PTX from the .cu sources with Debian's clang-16, no
# CUDA SDK. `make test` installs clang-16 (cuda-deps) so that
# cuda.TestPTXFresh can rebuild the PTX and compare it with the committed
# files; the Go host side (-tags cuda) is built only by cuda-build/cuda-test,
# on a machine with the CUDA driver (and cuda.h for cgo).

.PHONY: ptx cuda-deps cuda-vet cuda-build cuda-test cuda-emu-test

## cuda-deps: Debian clang-16 (compiles CUDA device code to PTX).
cuda-deps:
	@bash .ci/need clang-16 clang-16

TEST_DEPS += cuda-deps

## ptx: rebuild cuda/*.ptx from cuda/*.cu (commit the result).
ptx: cuda-deps
	bash cuda/build-ptx.sh cuda

# CUDA_INCLUDE: where cuda.h lives (the CUDA toolkit's include directory).
# cuda/compat comes first: its cuda.h wraps the real one and maps CUDA 13's
# renamed cuCtxCreate / cuMemAdvise / cuMemPrefetchAsync back to the
# signatures gorgonia.org/cu v0.9.6 calls.
CUDA_INCLUDE ?= /usr/local/cuda/include
CUDA_CGO_CFLAGS = -I$(CURDIR)/cuda/compat -I$(CUDA_INCLUDE)

## cuda-vet / cuda-build / cuda-test: the -tags cuda host side (needs cuda.h and
## libcuda; cuda-test needs a GPU).
cuda-vet:
	CGO_CFLAGS="$(CUDA_CGO_CFLAGS)" $(GO) vet -tags cuda ./cuda/

cuda-build:
	CGO_CFLAGS="$(CUDA_CGO_CFLAGS)" $(GO) build -tags cuda ./cuda/

cuda-test:
	CGO_CFLAGS="$(CUDA_CGO_CFLAGS)" $(GO) test -count=1 -tags cuda -v ./cuda/

## cuda-emu-test: the -tags cuda tests on the CPU emulator (emu_cudaemu.cc:
## the .cu sources compiled as C++, one host thread per CUDA thread): checks
## the kernels' logic without a GPU or CUDA headers. Part of `make test`.
CUDA_EMU_CXX ?= clang++-16
cuda-emu-test: cuda-deps
	CXX=$(CUDA_EMU_CXX) $(GO) test -count=1 -tags cudaemu ./cuda/

TEST_EXTRA += cuda-emu-test
