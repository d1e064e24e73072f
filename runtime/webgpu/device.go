// Package webgpu is the WebGPU backend of the engine: the same Go code and
// the same WGSL shaders (package shaders) natively, through wgpu-native (cgo),
// and under GOOS=js GOARCH=wasm, through the browser's WebGPU. Weights and the
// recurrent state stay on the device; pipelines, bind groups and buffers are
// built once per session, and one token is one command submission.
package webgpu

import (
	"fmt"
	"sync"

	"github.com/cogentcore/webgpu/wgpu"
)

// Device is an opened WebGPU device and its queue.
type Device struct {
	dev    *wgpu.Device
	queue  *wgpu.Queue
	limits wgpu.Limits
	info   string
	close  func()
	// cpu marks a software adapter (lavapipe, SwiftShader): the linear
	// products then use the barrier-free kernel those run fastest.
	cpu bool
	// w writes buffers: the binding's Queue.WriteBuffer natively, a copy
	// through a JS-side array under js (see write_js.go).
	w writer

	mu        sync.Mutex
	pipelines map[string]*pipeline
}

// Info describes the adapter (name and backend) for display.
func (d *Device) Info() string { return d.info }

// MaxBinding is the largest storage buffer binding the device allows, in bytes.
func (d *Device) MaxBinding() uint64 {
	if d.limits.MaxStorageBufferBindingSize == 0 {
		return 128 << 20 // the WebGPU default
	}
	return d.limits.MaxStorageBufferBindingSize
}

// Close releases the device.
func (d *Device) Close() {
	if d == nil || d.close == nil {
		return
	}
	d.mu.Lock()
	for k, p := range d.pipelines {
		p.pipe.Release()
		p.layout.Release()
		delete(d.pipelines, k)
	}
	d.mu.Unlock()
	d.w.release()
	d.close()
	d.close = nil
}

func newDevice(dev *wgpu.Device, info string, release func()) *Device {
	return &Device{
		dev:       dev,
		queue:     dev.GetQueue(),
		limits:    dev.GetLimits().Limits,
		info:      info,
		close:     release,
		pipelines: map[string]*pipeline{},
	}
}

// buffer is a device buffer and its size (the js binding has no GetSize).
type buffer struct {
	b    *wgpu.Buffer
	size uint64
}

func (b *buffer) release() {
	if b != nil && b.b != nil {
		b.b.Destroy()
		b.b.Release()
		b.b = nil
	}
}

// buffer creates a zeroed storage buffer of n bytes (rounded up to 4, at
// least 16) that can be written, copied from and to.
func (d *Device) buffer(n int) (*buffer, error) {
	size := uint64(max(16, (n+3)&^3))
	b, err := d.dev.CreateBuffer(&wgpu.BufferDescriptor{
		Size:  size,
		Usage: wgpu.BufferUsageStorage | wgpu.BufferUsageCopyDst | wgpu.BufferUsageCopySrc,
	})
	if err != nil {
		return nil, fmt.Errorf("webgpu: create buffer of %d bytes: %w", size, err)
	}
	return &buffer{b: b, size: size}, nil
}

// write copies data (a multiple of 4 bytes) into b at off.
func (d *Device) write(b *buffer, off uint64, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	if err := d.w.write(d.queue, b.b, off, data); err != nil {
		return fmt.Errorf("webgpu: write buffer: %w", err)
	}
	return nil
}

// upload creates a storage buffer holding data (padded to 4 bytes).
func (d *Device) upload(data []byte) (*buffer, error) {
	b, err := d.buffer(len(data))
	if err != nil {
		return nil, err
	}
	if len(data)%4 != 0 {
		data = append(data[:len(data):len(data)], make([]byte, 4-len(data)%4)...)
	}
	if err := d.write(b, 0, data); err != nil {
		b.release()
		return nil, err
	}
	return b, nil
}

// uploadF32 creates a storage buffer holding v.
func (d *Device) uploadF32(v []float32) (*buffer, error) {
	return d.upload(wgpu.ToBytes(v))
}

// readback copies n bytes at off of src through a staging buffer into dst
// (len(dst) ≥ n), after the work already submitted, blocking until done.
// enc, when not nil, holds commands to submit first.
func (d *Device) readback(enc *wgpu.CommandEncoder, src *buffer, off uint64, dst []byte, n int) error {
	size := uint64((n + 3) &^ 3)
	stage, err := d.staging(size)
	if err != nil {
		return err
	}
	defer stage.Release()
	defer stage.Destroy()
	return d.readbackVia(enc, src, off, dst, n, stage)
}

// staging creates a buffer that can be mapped for reading.
func (d *Device) staging(size uint64) (*wgpu.Buffer, error) {
	stage, err := d.dev.CreateBuffer(&wgpu.BufferDescriptor{
		Size:  size,
		Usage: wgpu.BufferUsageMapRead | wgpu.BufferUsageCopyDst,
	})
	if err != nil {
		return nil, fmt.Errorf("webgpu: staging buffer: %w", err)
	}
	return stage, nil
}

// readbackVia is readback through a given staging buffer (of at least n
// bytes rounded up to 4), which sessions keep for the per-token reads.
func (d *Device) readbackVia(enc *wgpu.CommandEncoder, src *buffer, off uint64, dst []byte, n int, stage *wgpu.Buffer) error {
	size := uint64((n + 3) &^ 3)
	var err error
	if enc == nil {
		if enc, err = d.dev.CreateCommandEncoder(nil); err != nil {
			return fmt.Errorf("webgpu: command encoder: %w", err)
		}
	}
	if err := enc.CopyBufferToBuffer(src.b, off, stage, 0, size); err != nil {
		return fmt.Errorf("webgpu: copy for readback: %w", err)
	}
	cmd, err := enc.Finish(nil)
	if err != nil {
		return fmt.Errorf("webgpu: finish commands: %w", err)
	}
	d.queue.Submit(cmd)
	cmd.Release()
	enc.Release()
	return d.mapRead(stage, size, dst[:n])
}
