//go:build !js && !cgo

package main

import (
	"context"
	"errors"

	"github.com/xlstm-go/xlstm/internal/server"
)

// openEngine picks the engine for -backend. Without cgo there is no native
// WebGPU (runtime/webgpu needs wgpu-native through cgo).
func openEngine(ctx context.Context, o *options) (server.OpenEngine, func(), error) {
	if o.backend == "webgpu" {
		return nil, nil, errors.New("-backend webgpu: webgpu backend not available in this build (built without cgo)")
	}
	return server.CPUEngine(o.threads), func() {}, nil
}
