//go:build amd64 && !purego

package kernels

// logSigmoidAVX2 and geluAVX2 take whole vectors: n is a multiple of 8.
//
//go:noescape
func logSigmoidAVX2(y, x *float32, n int)

//go:noescape
func geluAVX2(y, x *float32, n int)

func logSigmoidVec(y, x []float32) { logSigmoidAVX2(&y[0], &x[0], len(y)) }
func geluVec(y, x []float32)       { geluAVX2(&y[0], &x[0], len(y)) }
