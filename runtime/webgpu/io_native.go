//go:build !js

package webgpu

import (
	"fmt"

	"github.com/cogentcore/webgpu/wgpu"
)

// writer is the binding's Queue.WriteBuffer natively: wgpu-native copies
// data before it returns.
type writer struct{}

func (writer) write(q *wgpu.Queue, b *wgpu.Buffer, off uint64, data []byte) error {
	return q.WriteBuffer(b, off, data)
}

// mapRead maps stage and copies its first len(dst) bytes out; the map
// callback runs from Poll.
func (d *Device) mapRead(stage *wgpu.Buffer, size uint64, dst []byte) error {
	var status wgpu.BufferMapAsyncStatus
	done := false
	err := stage.MapAsync(wgpu.MapModeRead, 0, size, func(s wgpu.BufferMapAsyncStatus) {
		status, done = s, true
	})
	if err != nil {
		return fmt.Errorf("webgpu: map for readback: %w", err)
	}
	for !done {
		d.dev.Poll(true, nil)
	}
	if status != wgpu.BufferMapAsyncStatusSuccess {
		return fmt.Errorf("webgpu: map for readback: status %d", status)
	}
	// GetMappedRange aliases device memory; copy before Unmap.
	copy(dst, stage.GetMappedRange(0, uint(size)))
	return stage.Unmap()
}

func (writer) release() {}
