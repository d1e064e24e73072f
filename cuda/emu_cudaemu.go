//go:build cudaemu && !cuda

package cuda

/*
#cgo CXXFLAGS: -std=c++20 -O2 -pthread
#cgo LDFLAGS: -pthread -lm
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
int xl_emu_nparams(const char *name);
int xl_emu_launch(const char *name, int gx, int gy, int gz, int bx, int by, int bz, const uint64_t *args);
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// This build (-tags cudaemu) runs the kernels on the CPU through the
// emulator in emu_cudaemu.cc: the same Device API as the CUDA build, for
// testing the kernel logic without a GPU. It is slow (one host thread per
// CUDA thread) and meant for tests only.

// maxGrid caps grid-stride launches. The emulator runs blocks one after
// another, so fewer and fuller blocks are much faster; the kernels' grid-stride
// loops are exercised the more for it.
const maxGrid = 32

// Available reports that the emulated device is always there.
func Available() error { return nil }

// Device is the emulated GPU: host memory and kernels run on host threads.
type Device struct {
	specs map[string]KernelSpec
	open  bool
}

// Buffer is emulated device memory (C heap).
type Buffer struct {
	d     *Device
	mem   unsafe.Pointer
	bytes int64
	freed bool
}

func (b *Buffer) bits() uint64 { return uint64(uintptr(b.mem)) }

// Open returns the emulated device 0, after checking that the emulator has
// every kernel of Specs with the same parameter count.
func Open(ordinal int) (*Device, error) {
	if ordinal != 0 {
		return nil, fmt.Errorf("cuda: device %d does not exist (1 visible, emulated)", ordinal)
	}
	d := &Device{specs: map[string]KernelSpec{}, open: true}
	for _, s := range Specs() {
		name := C.CString(s.Name)
		n := int(C.xl_emu_nparams(name))
		C.free(unsafe.Pointer(name))
		if n != len(s.Params) {
			return nil, fmt.Errorf("cuda: emulated kernel %s has %d parameters, Specs says %d", s.Name, n, len(s.Params))
		}
		d.specs[s.Name] = s
	}
	return d, nil
}

// Name names the emulator.
func (d *Device) Name() string { return "CPU emulator" }

// Close ends the device.
func (d *Device) Close() error {
	d.open = false
	return nil
}

// Sync does nothing: emulated launches finish before they return.
func (d *Device) Sync() error { return nil }

func (d *Device) kernelSpec(name string) (KernelSpec, bool) {
	s, ok := d.specs[name]
	return s, ok
}

func (d *Device) launch(name string, g, b Dim, vals []uint64) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var args *C.uint64_t
	if len(vals) > 0 {
		args = (*C.uint64_t)(unsafe.Pointer(&vals[0]))
	}
	if C.xl_emu_launch(cname, C.int(g.X), C.int(g.Y), C.int(g.Z), C.int(b.X), C.int(b.Y), C.int(b.Z), args) != 0 {
		return fmt.Errorf("cuda: emulator has no kernel %s", name)
	}
	return nil
}

// Alloc returns bytes of zeroed host memory standing in for device memory.
func (d *Device) Alloc(bytes int64) (*Buffer, error) {
	if bytes <= 0 {
		return nil, fmt.Errorf("cuda: alloc of %d bytes", bytes)
	}
	p := C.calloc(C.size_t(bytes), 1)
	if p == nil {
		return nil, fmt.Errorf("cuda: alloc %d bytes: out of memory", bytes)
	}
	return &Buffer{d: d, mem: p, bytes: bytes}, nil
}

// Free releases the memory; a second Free does nothing.
func (b *Buffer) Free() error {
	if b == nil || b.freed {
		return nil
	}
	b.freed = true
	C.free(b.mem)
	return nil
}

func (d *Device) copyIn(b *Buffer, src unsafe.Pointer, n int64) error {
	C.memcpy(b.mem, src, C.size_t(n))
	return nil
}

func (d *Device) copyOut(dst unsafe.Pointer, b *Buffer, n int64) error {
	C.memcpy(dst, b.mem, C.size_t(n))
	return nil
}
