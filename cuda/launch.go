//go:build cuda || cudaemu

package cuda

import (
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// Dim is a launch grid or block shape; zero components count as 1.
type Dim struct{ X, Y, Z int }

func (v Dim) norm() Dim {
	return Dim{max(v.X, 1), max(v.Y, 1), max(v.Z, 1)}
}

// Launch runs kernel name on grid × block threads with args matching its
// spec: *Buffer (or nil) for 'p', int or int64 for 'i', float64 for 'f'.
// Arguments are checked before anything reaches the driver.
func (d *Device) Launch(name string, grid, block Dim, args ...any) error {
	spec, ok := d.kernelSpec(name)
	if !ok {
		return fmt.Errorf("cuda: no kernel %s", name)
	}
	if len(args) != len(spec.Params) {
		return fmt.Errorf("cuda: %s takes %d arguments, got %d", name, len(spec.Params), len(args))
	}
	vals := make([]uint64, len(args))
	for i, a := range args {
		v, err := argBits(spec.Params[i], a)
		if err != nil {
			return fmt.Errorf("cuda: %s argument %d: %w", name, i, err)
		}
		vals[i] = v
	}
	g, b := grid.norm(), block.norm()
	if b.X*b.Y*b.Z > 1024 {
		return fmt.Errorf("cuda: %s: block of %d threads (max 1024)", name, b.X*b.Y*b.Z)
	}
	return d.launch(name, g, b, vals)
}

// argBits turns one launch argument into the 8 bytes the kernel reads.
func argBits(kind byte, a any) (uint64, error) {
	switch kind {
	case 'p':
		switch p := a.(type) {
		case nil:
			return 0, nil
		case *Buffer:
			if p == nil {
				return 0, nil
			}
			if p.freed {
				return 0, errors.New("buffer already freed")
			}
			return p.bits(), nil
		}
		return 0, fmt.Errorf("want a *Buffer, got %T", a)
	case 'i':
		switch v := a.(type) {
		case int:
			return uint64(int64(v)), nil
		case int64:
			return uint64(v), nil
		}
		return 0, fmt.Errorf("want an int, got %T", a)
	case 'f':
		if v, ok := a.(float64); ok {
			return math.Float64bits(v), nil
		}
		return 0, fmt.Errorf("want a float64, got %T", a)
	}
	return 0, fmt.Errorf("unknown parameter kind %q", kind)
}

// Floats allocates room for n float32 values (zeroed).
func (d *Device) Floats(n int) (*Buffer, error) { return d.Alloc(4 * int64(max(n, 1))) }

// Bytes is the buffer's size.
func (b *Buffer) Bytes() int64 { return b.bytes }

func (b *Buffer) checkCopy(n int64, dir string) error {
	if b.freed {
		return fmt.Errorf("cuda: %s a freed buffer", dir)
	}
	if n > b.bytes {
		return fmt.Errorf("cuda: %s %d bytes with a buffer of %d", dir, n, b.bytes)
	}
	return nil
}

func (b *Buffer) in(src unsafe.Pointer, n int64) error {
	if err := b.checkCopy(n, "upload to"); err != nil || n == 0 {
		return err
	}
	return b.d.copyIn(b, src, n)
}

func (b *Buffer) out(dst unsafe.Pointer, n int64) error {
	if err := b.checkCopy(n, "download from"); err != nil || n == 0 {
		return err
	}
	return b.d.copyOut(dst, b, n)
}

// Upload copies src to the start of the buffer.
func (b *Buffer) Upload(src []float32) error {
	if len(src) == 0 {
		return nil
	}
	return b.in(unsafe.Pointer(&src[0]), 4*int64(len(src)))
}

// UploadInt32 copies src (token ids, targets) to the start of the buffer.
func (b *Buffer) UploadInt32(src []int32) error {
	if len(src) == 0 {
		return nil
	}
	return b.in(unsafe.Pointer(&src[0]), 4*int64(len(src)))
}

// UploadBytes copies raw bytes to the start of the buffer.
func (b *Buffer) UploadBytes(src []byte) error {
	if len(src) == 0 {
		return nil
	}
	return b.in(unsafe.Pointer(&src[0]), int64(len(src)))
}

// Download copies the buffer's first len(dst) values into dst.
func (b *Buffer) Download(dst []float32) error {
	if len(dst) == 0 {
		return nil
	}
	return b.out(unsafe.Pointer(&dst[0]), 4*int64(len(dst)))
}

// DownloadBytes copies the buffer's first len(dst) bytes into dst.
func (b *Buffer) DownloadBytes(dst []byte) error {
	if len(dst) == 0 {
		return nil
	}
	return b.out(unsafe.Pointer(&dst[0]), int64(len(dst)))
}

// DownloadInt64 copies the buffer's first len(dst) int64 values into dst.
func (b *Buffer) DownloadInt64(dst []int64) error {
	if len(dst) == 0 {
		return nil
	}
	return b.out(unsafe.Pointer(&dst[0]), 8*int64(len(dst)))
}

// loadedKernels is the number of kernels the device can launch.
func (d *Device) loadedKernels() int {
	n := 0
	for _, s := range Specs() {
		if _, ok := d.kernelSpec(s.Name); ok {
			n++
		}
	}
	return n
}
