package webgpu

import (
	"fmt"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/xlstm-go/xlstm/shaders"
)

// bindings lists each shader's bindings in order: u uniform, r read-only
// storage, w read-write storage. The layouts are explicit because the js
// binding has no GetBindGroupLayout.
var bindings = map[string]string{
	"matvec":      "urrrrrw",
	"matmul":      "urrrrrw",
	"linear_rows": "urrrrrw",
	"embed":       "urrrrw",
	"norm":        "urrrw",
	"headwise":    "urrrrw",
	"conv":        "urrrwrw",
	"ew":          "urrrrrw",
	"mlstm_step":  "urrrrrww",
	"mlstm_chunk": "urrrrrwww",
	"slstm":       "urrrrww",
	"argmax":      "urrw",
	"topk":        "urrw",
}

// pipeline is a compute pipeline with its bind group layout.
type pipeline struct {
	layout *wgpu.BindGroupLayout
	pipe   *wgpu.ComputePipeline
	kinds  string
}

// weighted reports whether a shader reads a weight matrix through wload.
func weighted(name string) bool {
	return name == "matvec" || name == "matmul" || name == "linear_rows" || name == "embed"
}

// pipeline returns (building once) the pipeline of shader name, completed
// by weight format format for the shaders that read weights.
func (d *Device) pipeline(name, format string) (*pipeline, error) {
	key := name
	if weighted(name) {
		key += "/" + format
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, ok := d.pipelines[key]; ok {
		return p, nil
	}
	kinds, ok := bindings[name]
	if !ok {
		return nil, fmt.Errorf("webgpu: unknown shader %q", name)
	}
	var src string
	var err error
	if weighted(name) {
		src, err = shaders.WithWeights(name, format)
	} else {
		src, err = shaders.Source(name)
	}
	if err != nil {
		return nil, err
	}
	mod, err := d.dev.CreateShaderModule(&wgpu.ShaderModuleDescriptor{
		WGSLDescriptor: &wgpu.ShaderModuleWGSLDescriptor{Code: src},
	})
	if err != nil {
		return nil, fmt.Errorf("webgpu: compile shader %s: %w", key, err)
	}
	defer mod.Release()
	entries := make([]wgpu.BindGroupLayoutEntry, len(kinds))
	for i, k := range kinds {
		t := wgpu.BufferBindingTypeReadOnlyStorage
		switch k {
		case 'u':
			t = wgpu.BufferBindingTypeUniform
		case 'w':
			t = wgpu.BufferBindingTypeStorage
		}
		entries[i] = wgpu.BindGroupLayoutEntry{
			Binding:    uint32(i),
			Visibility: wgpu.ShaderStageCompute,
			Buffer:     wgpu.BufferBindingLayout{Type: t},
		}
	}
	bgl, err := d.dev.CreateBindGroupLayout(&wgpu.BindGroupLayoutDescriptor{Entries: entries})
	if err != nil {
		return nil, fmt.Errorf("webgpu: bind group layout of %s: %w", key, err)
	}
	pl, err := d.dev.CreatePipelineLayout(&wgpu.PipelineLayoutDescriptor{BindGroupLayouts: []*wgpu.BindGroupLayout{bgl}})
	if err != nil {
		return nil, fmt.Errorf("webgpu: pipeline layout of %s: %w", key, err)
	}
	defer pl.Release()
	cp, err := d.dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{
		Layout:  pl,
		Compute: wgpu.ProgrammableStageDescriptor{Module: mod, EntryPoint: "main"},
	})
	if err != nil {
		return nil, fmt.Errorf("webgpu: pipeline %s: %w", key, err)
	}
	p := &pipeline{layout: bgl, pipe: cp, kinds: kinds}
	d.pipelines[key] = p
	return p, nil
}
