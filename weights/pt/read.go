package pt

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/xlstm-go/xlstm/weights/quant"
)

// ReadFloat32 reads a whole tensor into dst (len = element count),
// converting from the storage dtype.
func (p *File) ReadFloat32(name string, dst []float32) error {
	t, ok := p.tensors[name]
	if !ok {
		return fmt.Errorf("%s: no tensor %q", p.label, name)
	}
	if len(dst) != t.n {
		return fmt.Errorf("%s: tensor %q has %d elements, buffer %d", p.label, name, t.n, len(dst))
	}
	return p.ReadFloat32At(name, 0, dst)
}

// ReadFloat64 reads a whole tensor into dst (len = element count); F64
// storages keep full precision.
func (p *File) ReadFloat64(name string, dst []float64) error {
	t, ok := p.tensors[name]
	if !ok {
		return fmt.Errorf("%s: no tensor %q", p.label, name)
	}
	if len(dst) != t.n {
		return fmt.Errorf("%s: tensor %q has %d elements, buffer %d", p.label, name, t.n, len(dst))
	}
	if t.raw.storage.dtype == "F64" {
		return p.read(name, t, 0, len(dst), func(i int, raw []byte) {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw))
		})
	}
	buf := make([]float32, len(dst))
	if err := p.ReadFloat32At(name, 0, buf); err != nil {
		return err
	}
	for i, v := range buf {
		dst[i] = float64(v)
	}
	return nil
}

// ReadFloat32At reads the elements [off, off+len(dst)) of a tensor, in
// row-major order of its shape.
func (p *File) ReadFloat32At(name string, off int, dst []float32) error {
	t, ok := p.tensors[name]
	if !ok {
		return fmt.Errorf("%s: no tensor %q", p.label, name)
	}
	if off < 0 || len(dst) > t.n-off {
		return fmt.Errorf("%s: tensor %q: elements [%d,%d) out of range [0,%d)", p.label, name, off, off+len(dst), t.n)
	}
	dt := t.raw.storage.dtype
	if t.contiguous && quant.ElemSize(dt) != 0 {
		raw, err := p.storageBytes(t, t.raw.offset+int64(off), len(dst))
		if err != nil {
			return fmt.Errorf("%s: tensor %q: %w", p.label, name, err)
		}
		return quant.DecodeFloat32(dt, raw, dst)
	}
	conv := elemToFloat(dt)
	return p.read(name, t, off, len(dst), func(i int, raw []byte) { dst[i] = float32(conv(raw)) })
}

// read calls put(i, bytes of element off+i) for n elements, in row-major
// order, gathering through the strides.
func (p *File) read(name string, t *tensor, off, n int, put func(i int, raw []byte)) error {
	if n == 0 {
		return nil
	}
	rt := t.raw
	rank := len(rt.shape)
	// Unravel off into a multi-index, then walk n elements twice: once for
	// the storage span touched, once to gather.
	start := make([]int, rank)
	rem := off
	for d := rank - 1; d >= 0; d-- {
		if rt.shape[d] > 0 {
			start[d] = rem % rt.shape[d]
			rem /= rt.shape[d]
		}
	}
	walk := func(f func(i int, si int64)) {
		idx := append([]int(nil), start...)
		for i := 0; i < n; i++ {
			si := rt.offset
			for d, x := range idx {
				si += int64(x) * rt.stride[d]
			}
			f(i, si)
			for d := rank - 1; d >= 0; d-- {
				idx[d]++
				if idx[d] < rt.shape[d] {
					break
				}
				idx[d] = 0
			}
		}
	}
	lo, hi := int64(math.MaxInt64), int64(-1)
	walk(func(_ int, si int64) { lo, hi = min(lo, si), max(hi, si) })
	raw, err := p.storageBytes(t, lo, int(hi-lo+1))
	if err != nil {
		return fmt.Errorf("%s: tensor %q: %w", p.label, name, err)
	}
	es := int64(t.es)
	walk(func(i int, si int64) { put(i, raw[(si-lo)*es:(si-lo+1)*es]) })
	return nil
}

// storageBytes reads count elements of t's storage starting at element
// first. A read of the whole entry also checks its CRC-32.
func (p *File) storageBytes(t *tensor, first int64, count int) ([]byte, error) {
	es := int64(t.es)
	begin, size := first*es, int64(count)*es
	buf := make([]byte, size)
	f := t.entry
	whole := begin == 0 && uint64(size) == f.UncompressedSize64
	if f.Method == zip.Store && f.CompressedSize64 == f.UncompressedSize64 {
		base, err := f.DataOffset()
		if err != nil {
			return nil, fmt.Errorf("storage %s: %w", f.Name, err)
		}
		if _, err := p.ra.ReadAt(buf, base+begin); err != nil {
			return nil, fmt.Errorf("storage %s: %w (truncated file?)", f.Name, err)
		}
		if whole && f.CRC32 != 0 && crc32.ChecksumIEEE(buf) != f.CRC32 {
			return nil, fmt.Errorf("storage %s: checksum mismatch (corrupted file)", f.Name)
		}
		return buf, nil
	}
	// Compressed entry: stream up to the range (the zip reader checks the
	// CRC when the whole entry is read).
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("storage %s: %w", f.Name, err)
	}
	defer rc.Close()
	if _, err := io.CopyN(io.Discard, rc, begin); err != nil {
		return nil, fmt.Errorf("storage %s: %w", f.Name, err)
	}
	if _, err := io.ReadFull(rc, buf); err != nil {
		return nil, fmt.Errorf("storage %s: %w", f.Name, err)
	}
	if whole {
		if _, err := io.Copy(io.Discard, rc); err != nil {
			return nil, fmt.Errorf("storage %s: %w", f.Name, err)
		}
	}
	return buf, nil
}

// elemToFloat returns the decoder of one element of dtype.
func elemToFloat(dtype string) func([]byte) float64 {
	switch dtype {
	case "F64":
		return func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
	case "F32":
		return func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) }
	case "F16":
		return func(b []byte) float64 { return float64(quant.F16ToF32(binary.LittleEndian.Uint16(b))) }
	case "BF16":
		return func(b []byte) float64 { return float64(quant.BF16ToF32(binary.LittleEndian.Uint16(b))) }
	case "I64":
		return func(b []byte) float64 { return float64(int64(binary.LittleEndian.Uint64(b))) }
	case "I32":
		return func(b []byte) float64 { return float64(int32(binary.LittleEndian.Uint32(b))) }
	case "I16":
		return func(b []byte) float64 { return float64(int16(binary.LittleEndian.Uint16(b))) }
	case "I8":
		return func(b []byte) float64 { return float64(int8(b[0])) }
	default: // U8, BOOL
		return func(b []byte) float64 { return float64(b[0]) }
	}
}
