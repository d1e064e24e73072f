//go:build !amd64 || purego

package kernels

func logSigmoidVec(y, x []float32) { logSigmoidGeneric(y, x) }
func geluVec(y, x []float32)       { geluGeneric(y, x) }
