// Package shaders holds the WGSL compute shaders of the WebGPU backend
// (runtime/webgpu), embedded so that the native and the js/wasm builds use
// the very same sources. A shader that reads weights is completed by one of
// the weight-format snippets (wfmt_f32, wfmt_q8, wfmt_q4), which define
// wload(i, group): the i-th weight of the bound matrix part as f32.
package shaders

import (
	"embed"
	"fmt"
)

//go:embed *.wgsl
var files embed.FS

// Source returns the WGSL text of the shader named name (without the
// .wgsl suffix), e.g. "matvec".
func Source(name string) (string, error) {
	b, err := files.ReadFile(name + ".wgsl")
	if err != nil {
		return "", fmt.Errorf("shaders: no shader %q", name)
	}
	return string(b), nil
}

// WithWeights returns shader name completed by the weight-format snippet
// of format ("f32", "q8" or "q4").
func WithWeights(name, format string) (string, error) {
	body, err := Source(name)
	if err != nil {
		return "", err
	}
	w, err := Source("wfmt_" + format)
	if err != nil {
		return "", fmt.Errorf("shaders: unknown weight format %q", format)
	}
	return w + "\n" + body, nil
}
