package kernels_test

import (
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/kernels"
)

// The log forget gate of an xLSTM cell: log σ(x) stays finite and accurate
// where σ(x) itself would round to 0 or 1.
func ExampleLogSigmoid() {
	x := []float32{-100, -1, 0, 1, 30}
	y := make([]float32, len(x))
	kernels.LogSigmoid(y, x)
	fmt.Printf("%.6g\n", y)
	// Output: [-100 -1.31326 -0.693147 -0.313262 -9.35762e-14]
}

// GELU in its exact erf form, as torch.nn.functional.gelu computes it.
func ExampleGELU() {
	x := []float32{-10, -1, 0, 1, 3}
	y := make([]float32, len(x))
	kernels.GELU(y, x)
	fmt.Printf("%.6g\n", y)
	// Output: [-7.61985e-23 -0.158655 0 0.841345 2.99595]
}
