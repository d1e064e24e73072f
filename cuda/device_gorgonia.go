//go:build cuda

package cuda

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"gorgonia.org/cu"
)

// Available reports whether the CUDA kernels can run: the driver
// initialised, at least one device, and device 0 of compute capability 8.0
// or newer (the PTX targets sm_80). It never exits or panics.
func Available() error {
	if err := initError(); err != nil {
		return err
	}
	n, err := cu.NumDevices()
	if err != nil {
		return fmt.Errorf("cuda: count devices: %w", err)
	}
	if n == 0 {
		return errors.New("cuda: no CUDA-capable GPU is visible")
	}
	dev, err := cu.GetDevice(0)
	if err != nil {
		return fmt.Errorf("cuda: device 0: %w", err)
	}
	return checkCapability(dev)
}

func checkCapability(dev cu.Device) error {
	major, err := dev.Attribute(cu.ComputeCapabilityMajor)
	if err != nil {
		return fmt.Errorf("cuda: device %d compute capability: %w", int(dev), err)
	}
	if major < 8 {
		minor, _ := dev.Attribute(cu.ComputeCapabilityMinor)
		return fmt.Errorf("cuda: device %d has compute capability %d.%d; the kernels need 8.0 or newer", int(dev), major, minor)
	}
	return nil
}

// Device is one GPU with the kernels loaded into its primary context. Its
// methods make the context current on the calling OS thread for the
// duration of each call, so a Device may be used from any goroutine, one
// call at a time (it is not safe for concurrent use).
type Device struct {
	dev     cu.Device
	ctx     cu.CUContext
	mods    []cu.Module
	fns     map[string]kernel
	name    string
	retains bool
}

// maxGrid caps grid-stride launches: enough blocks to fill any current GPU.
const maxGrid = 8192

type kernel struct {
	fn   cu.Function
	spec KernelSpec
}

// Buffer is device memory of a fixed size in bytes.
type Buffer struct {
	d     *Device
	ptr   cu.DevicePtr
	bytes int64
	freed bool
}

func (b *Buffer) bits() uint64 { return uint64(b.ptr) }

// Open initialises GPU ordinal, retains its primary context and loads every
// embedded PTX module (the driver JIT-compiles PTX for the device).
func Open(ordinal int) (*Device, error) {
	if err := initError(); err != nil {
		return nil, err
	}
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("cuda: count devices: %w", err)
	}
	if ordinal < 0 || ordinal >= n {
		return nil, fmt.Errorf("cuda: device %d does not exist (%d visible)", ordinal, n)
	}
	dev, err := cu.GetDevice(ordinal)
	if err != nil {
		return nil, fmt.Errorf("cuda: device %d: %w", ordinal, err)
	}
	if err := checkCapability(dev); err != nil {
		return nil, err
	}
	ctx, err := dev.RetainPrimaryCtx()
	if err != nil {
		return nil, fmt.Errorf("cuda: device %d: retain primary context: %w", ordinal, err)
	}
	d := &Device{dev: dev, ctx: ctx, fns: map[string]kernel{}, retains: true}
	d.name, _ = dev.Name()
	if err := d.load(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Device) load() error {
	mods, err := Modules()
	if err != nil {
		return err
	}
	specs := map[string]KernelSpec{}
	for _, s := range Specs() {
		specs[s.Name] = s
	}
	return d.with(func() error {
		for _, m := range mods {
			mod, err := cu.LoadData(m.PTX)
			if err != nil {
				return fmt.Errorf("cuda: load module %s: %w", m.Name, err)
			}
			d.mods = append(d.mods, mod)
			entries, err := ParseEntries(m.PTX)
			if err != nil {
				return fmt.Errorf("cuda: module %s: %w", m.Name, err)
			}
			for _, e := range entries {
				fn, err := mod.Function(e.Name)
				if err != nil {
					return fmt.Errorf("cuda: module %s: kernel %s: %w", m.Name, e.Name, err)
				}
				s, ok := specs[e.Name]
				if !ok {
					return fmt.Errorf("cuda: module %s: kernel %s is not in Specs", m.Name, e.Name)
				}
				d.fns[e.Name] = kernel{fn: fn, spec: s}
			}
		}
		return nil
	})
}

// Name is the GPU's name as the driver reports it.
func (d *Device) Name() string { return d.name }

// Close unloads the modules and releases the primary context. Buffers
// must be freed before.
func (d *Device) Close() error {
	if d == nil || !d.retains {
		return nil
	}
	var first error
	_ = d.with(func() error {
		for _, m := range d.mods {
			if err := m.Unload(); err != nil && first == nil {
				first = fmt.Errorf("cuda: unload module: %w", err)
			}
		}
		return nil
	})
	d.mods = nil
	if err := d.dev.ReleasePrimaryCtx(); err != nil && first == nil {
		first = fmt.Errorf("cuda: release primary context: %w", err)
	}
	d.retains = false
	return first
}

// with runs f with the device's context current on a locked OS thread.
func (d *Device) with(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		return fmt.Errorf("cuda: make context current: %w", err)
	}
	return f()
}

// Sync waits for every launched kernel to finish and returns the first
// asynchronous error (a fault inside a kernel surfaces here).
func (d *Device) Sync() error {
	return d.with(func() error {
		if err := cu.Synchronize(); err != nil {
			return fmt.Errorf("cuda: synchronize: %w", err)
		}
		return nil
	})
}

func (d *Device) kernelSpec(name string) (KernelSpec, bool) {
	k, ok := d.fns[name]
	return k.spec, ok
}

// launch hands the 8-byte argument values to the driver (gorgonia copies
// 8 bytes from each pointer).
func (d *Device) launch(name string, g, b Dim, vals []uint64) error {
	ptrs := make([]unsafe.Pointer, len(vals))
	for i := range vals {
		ptrs[i] = unsafe.Pointer(&vals[i])
	}
	fn := d.fns[name].fn
	return d.with(func() error {
		if err := fn.Launch(g.X, g.Y, g.Z, b.X, b.Y, b.Z, 0, cu.NoStream, ptrs); err != nil {
			return fmt.Errorf("cuda: launch %s: %w", name, err)
		}
		return nil
	})
}

// Alloc returns bytes of device memory (zeroed).
func (d *Device) Alloc(bytes int64) (*Buffer, error) {
	if bytes <= 0 {
		return nil, fmt.Errorf("cuda: alloc of %d bytes", bytes)
	}
	b := &Buffer{d: d, bytes: bytes}
	err := d.with(func() error {
		p, err := cu.MemAlloc(bytes)
		if err != nil {
			return fmt.Errorf("cuda: alloc %d bytes: %w", bytes, err)
		}
		b.ptr = p
		if err := cu.MemsetD8(p, 0, bytes); err != nil {
			cu.MemFree(p)
			return fmt.Errorf("cuda: clear %d bytes: %w", bytes, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Free releases the memory; a second Free does nothing.
func (b *Buffer) Free() error {
	if b == nil || b.freed {
		return nil
	}
	b.freed = true
	return b.d.with(func() error {
		if err := cu.MemFree(b.ptr); err != nil {
			return fmt.Errorf("cuda: free: %w", err)
		}
		return nil
	})
}

func (d *Device) copyIn(b *Buffer, src unsafe.Pointer, n int64) error {
	return d.with(func() error {
		if err := cu.MemcpyHtoD(b.ptr, src, n); err != nil {
			return fmt.Errorf("cuda: upload %d bytes: %w", n, err)
		}
		return nil
	})
}

func (d *Device) copyOut(dst unsafe.Pointer, b *Buffer, n int64) error {
	return d.with(func() error {
		if err := cu.MemcpyDtoH(dst, b.ptr, n); err != nil {
			return fmt.Errorf("cuda: download %d bytes: %w", n, err)
		}
		return nil
	})
}
