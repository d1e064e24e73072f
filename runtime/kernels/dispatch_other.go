//go:build !amd64 || purego

package kernels

const accelerated = false

func dot(a, b []float32) float32                           { return dotGeneric(a, b) }
func axpy(alpha float32, x, y []float32)                   { axpyGeneric(alpha, x, y) }
func axpby(a float32, y []float32, b float32, x []float32) { axpbyGeneric(a, y, b, x) }
func matVec(y, w, x []float32)                             { matVecGeneric(y, w, x) }
func matMul(y, w, x []float32, rows, n int)                { matMulGeneric(y, w, x, rows, n) }
