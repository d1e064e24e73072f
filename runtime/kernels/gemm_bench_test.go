package kernels

import (
	"testing"
)

func BenchmarkGemmVsMatMul(b *testing.B) {
	const n, in, out = 1024, 256, 1024
	x, w, y := make([]float32, n*in), make([]float32, out*in), make([]float32, n*out)
	for i := range x {
		x[i] = float32(i%7) * 0.1
	}
	for i := range w {
		w[i] = float32(i%5) * 0.1
	}
	buf := make([]float32, GemmBufLen(out))
	b.Run("kernels.MatMul", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			MatMul(y, w, x, out, in)
		}
		b.ReportMetric(float64(2*n*in*out)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("Gemm", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			Gemm(n, out, in, x, in, 1, w, out, y, out, false, buf) // w read as (in × out)
		}
		b.ReportMetric(float64(2*n*in*out)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("GemmT", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			Gemm(out, in, n, y, 1, out, x, in, w, in, true, buf) // dW = dYᵀ·X
		}
		b.ReportMetric(float64(2*n*in*out)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
