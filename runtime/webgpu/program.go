package webgpu

import (
	"fmt"
	"math"

	"github.com/cogentcore/webgpu/wgpu"
)

// A program is a fixed list of dispatches (a forward pass of one form),
// with its bind groups and one uniform buffer holding every dispatch's
// parameters, built once and encoded into a compute pass per call.
type program struct {
	ds     []dispatch
	params *buffer
}

type dispatch struct {
	pipe    *wgpu.ComputePipeline
	bg      *wgpu.BindGroup
	x, y, z uint32
}

// paramAlign is the WebGPU minimum uniform buffer offset alignment.
const paramAlign = 256

// builder collects dispatches; finish uploads the parameters and makes
// the bind groups.
type builder struct {
	d      *Device
	params []byte
	items  []item
	err    error
}

type item struct {
	p       *pipeline
	off     int
	size    int
	bufs    []*buffer
	x, y, z uint32
}

// word converts parameter values to the 32-bit words of a uniform struct.
func word(v any) uint32 {
	switch x := v.(type) {
	case int:
		return uint32(x)
	case uint32:
		return x
	case bool:
		if x {
			return 1
		}
		return 0
	case float32:
		return math.Float32bits(x)
	case float64:
		return math.Float32bits(float32(x))
	}
	panic(fmt.Sprintf("webgpu: parameter of type %T", v))
}

// add records one dispatch of shader name (weight format format) with the
// given uniform parameters (padded to 16 bytes) and the buffers of
// bindings 1.. in order, over x·y·z workgroups.
func (b *builder) add(name, format string, params []any, bufs []*buffer, x, y, z int) {
	if b.err != nil {
		return
	}
	p, err := b.d.pipeline(name, format)
	if err != nil {
		b.err = err
		return
	}
	if len(bufs) != len(p.kinds)-1 {
		b.err = fmt.Errorf("webgpu: shader %s takes %d buffers, got %d", name, len(p.kinds)-1, len(bufs))
		return
	}
	if x <= 0 || y <= 0 || z <= 0 {
		return // nothing to do
	}
	limit := int(b.d.limits.MaxComputeWorkgroupsPerDimension)
	if limit == 0 {
		limit = 65535
	}
	if x > limit || y > limit || z > limit {
		b.err = fmt.Errorf("webgpu: shader %s needs %d×%d×%d workgroups, the device allows %d per dimension", name, x, y, z, limit)
		return
	}
	off := (len(b.params) + paramAlign - 1) &^ (paramAlign - 1)
	b.params = append(b.params, make([]byte, off-len(b.params))...)
	for _, v := range params {
		w := word(v)
		b.params = append(b.params, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
	}
	for (len(b.params)-off)%16 != 0 {
		b.params = append(b.params, 0)
	}
	b.items = append(b.items, item{p: p, off: off, size: len(b.params) - off, bufs: bufs, x: uint32(x), y: uint32(y), z: uint32(z)})
}

// finish uploads the parameters and builds the bind groups.
func (b *builder) finish() (*program, error) {
	if b.err != nil {
		return nil, b.err
	}
	data := padded(b.params)
	ub, err := b.d.dev.CreateBuffer(&wgpu.BufferDescriptor{
		Size:  uint64(max(len(data), 16)),
		Usage: wgpu.BufferUsageUniform | wgpu.BufferUsageCopyDst,
	})
	if err != nil {
		return nil, fmt.Errorf("webgpu: parameter buffer: %w", err)
	}
	params := &buffer{b: ub, size: uint64(max(len(data), 16))}
	if err := b.d.write(params, 0, data); err != nil {
		params.release()
		return nil, err
	}
	prog := &program{params: params}
	for _, it := range b.items {
		entries := make([]wgpu.BindGroupEntry, 0, len(it.bufs)+1)
		entries = append(entries, wgpu.BindGroupEntry{Binding: 0, Buffer: ub, Offset: uint64(it.off), Size: uint64(it.size)})
		for i, buf := range it.bufs {
			if buf == nil {
				return nil, fmt.Errorf("webgpu: binding %d is nil", i+1)
			}
			entries = append(entries, wgpu.BindGroupEntry{Binding: uint32(i + 1), Buffer: buf.b, Size: buf.size})
		}
		bg, err := b.d.dev.CreateBindGroup(&wgpu.BindGroupDescriptor{Layout: it.p.layout, Entries: entries})
		if err != nil {
			prog.release()
			return nil, fmt.Errorf("webgpu: bind group: %w", err)
		}
		prog.ds = append(prog.ds, dispatch{pipe: it.p.pipe, bg: bg, x: it.x, y: it.y, z: it.z})
	}
	return prog, nil
}

func padded(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// encode records the program's dispatches into pass.
func (p *program) encode(pass *wgpu.ComputePassEncoder) {
	for _, d := range p.ds {
		pass.SetPipeline(d.pipe)
		pass.SetBindGroup(0, d.bg, nil)
		pass.DispatchWorkgroups(d.x, d.y, d.z)
	}
}

func (p *program) release() {
	if p == nil {
		return
	}
	for _, d := range p.ds {
		d.bg.Release()
	}
	p.ds = nil
	p.params.release()
}
