//go:build js && wasm

package main

import (
	"context"
	"io/fs"

	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/webgpu"
	"github.com/xlstm-go/xlstm/web/demo"
)

// gpuOpener returns what makes the WebGPU engine on the device the worker
// script put in globalThis.xlstmGPUDevice (features and limits are
// requested there, in JS). It runs on the message goroutine, never inside a
// js.FuncOf callback, where the binding's awaits would deadlock.
func gpuOpener() demo.OpenGPU {
	return func(b *engine.Bundle, fsys fs.FS) (engine.Engine, error) {
		dev, err := webgpu.Open(context.Background())
		if err != nil {
			return nil, err
		}
		e, err := webgpu.NewEngine(dev, b, webgpu.Options{Weights: fsys})
		if err != nil {
			dev.Close()
			return nil, err
		}
		return &gpuEngine{Engine: e, dev: dev}, nil
	}
}

// gpuEngine closes the device with the engine (webgpu.Engine leaves it).
type gpuEngine struct {
	*webgpu.Engine
	dev *webgpu.Device
}

func (g *gpuEngine) Close() error {
	err := g.Engine.Close()
	g.dev.Close()
	return err
}
