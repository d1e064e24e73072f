//go:build amd64 && !purego

package kernels

//go:noescape
func gemm4x16AVX2(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, add bool)

func gemm4x16(k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int, add bool) {
	if accelerated {
		gemm4x16AVX2(k, &a[0], ars, acs, &b[0], ldb, &c[0], ldc, add)
		return
	}
	gemm4x16Generic(k, a, ars, acs, b, ldb, c, ldc, add)
}
