//go:build !js && cgo

package main

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/xlstm-go/xlstm/internal/server"
	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/webgpu"
)

// openEngine picks the engine for -backend; the returned func releases
// what it opened (the WebGPU device).
func openEngine(ctx context.Context, o *options) (server.OpenEngine, func(), error) {
	if o.backend != "webgpu" {
		return server.CPUEngine(o.threads), func() {}, nil
	}
	dev, err := webgpu.Open(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("-backend webgpu: %w", err)
	}
	open := func(b *engine.Bundle, files fs.FS) (engine.Engine, error) {
		e, err := webgpu.NewEngine(dev, b, webgpu.Options{Weights: files})
		if err != nil {
			return nil, fmt.Errorf("webgpu engine on %s: %w", dev.Info(), err)
		}
		return e, nil
	}
	return open, dev.Close, nil
}
