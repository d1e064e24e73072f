//go:build !amd64 || purego

package kernels

func gemm4x16(k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int, add bool) {
	gemm4x16Generic(k, a, ars, acs, b, ldb, c, ldc, add)
}
