//go:build !cuda && !cudaemu

package cuda_test

import (
	"fmt"

	"github.com/xlstm-go/xlstm/cuda"
)

// A command taking `-device cuda` asks Available first and reports its error.
func ExampleAvailable() {
	if err := cuda.Available(); err != nil {
		fmt.Println("no CUDA here")
		return
	}
	fmt.Println("CUDA ready")
	// Output: no CUDA here
}

// The embedded kernels and their parameter kinds.
func ExampleKernels() {
	k, err := cuda.Kernels()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(k["xl_add"].Module, k["xl_add"].Params)
	// Output: elementwise pppp
}
