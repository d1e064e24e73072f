//go:build !cuda && !cudaemu

package cuda

import "errors"

// Available reports whether CUDA kernels can run here. This build has no
// CUDA support at all, so it always says so; commands taking `-device cuda`
// print this error and exit.
func Available() error {
	return errors.New("cuda: built without CUDA support (build with -tags cuda on a machine with the CUDA driver)")
}
