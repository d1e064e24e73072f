//go:build js

package webgpu

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/cogentcore/webgpu/wgpu"
)

// Open wraps the GPUDevice the page's JavaScript stored in
// globalThis.xlstmGPUDevice (requesting it in JS avoids the binding's
// RequiredFeatures bug). It is an error when there is none: the page
// decides about any fallback, never this package. Call it from a
// goroutine, not inside a js.FuncOf callback (the binding's awaits would
// deadlock there).
func Open(ctx context.Context) (*Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v := js.Global().Get("xlstmGPUDevice")
	if !v.Truthy() {
		return nil, errors.New("webgpu: no device: globalThis.xlstmGPUDevice is not set (navigator.gpu missing or requestDevice failed)")
	}
	d := wgpu.NewDevice(v)
	info := "WebGPU (browser)"
	if ai := v.Get("adapterInfo"); ai.Truthy() {
		if s := ai.Get("vendor").String(); s != "" {
			info = "WebGPU " + s + " " + ai.Get("architecture").String()
		}
	}
	// The page owns the GPUDevice: Close leaves it alive for the page.
	dd := newDevice(&d, info, func() {})
	if err := dd.w.init(v, &d); err != nil {
		return nil, fmt.Errorf("webgpu: open: %w", err)
	}
	return dd, nil
}
