package kernels_test

import (
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/kernels"
	"github.com/xlstm-go/xlstm/weights/quant"
)

// A 2×16 matrix quantised to q8 in groups of 16 (as a bundle stores it),
// multiplied without dequantising it first.
func ExampleMatVecQ() {
	const rows, cols, group = 2, 16, 16
	w := make([]float32, rows*cols)
	for i := range w {
		w[i] = float32(i%cols) / 8 // row 0 and row 1: 0, 1/8, ..., 15/8
	}
	w[cols] = -4 // a different scale for row 1
	k := quant.Q8
	payload := make([]byte, k.Size(len(w), group))
	if err := quant.Quantize(k, w, group, payload[:k.CodeBytes(len(w))], payload[k.CodeBytes(len(w)):]); err != nil {
		panic(err)
	}
	q, err := kernels.NewQMat(k, rows, cols, group, payload)
	if err != nil {
		panic(err)
	}
	x := make([]float32, cols)
	x[0], x[15] = 1, 1
	y := make([]float32, rows)
	kernels.MatVecQ(y, q, x)
	fmt.Printf("%.3f %.3f\n", y[0], y[1])
	// Output: 1.875 -2.110
}

func ExampleSoftcap() {
	logits := []float32{-100, -1, 0, 1, 100}
	kernels.Softcap(logits, logits, 30)
	fmt.Printf("%.4f\n", logits)
	// Output: [-29.9237 -0.9996 0.0000 0.9996 29.9237]
}
