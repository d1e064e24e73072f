// Package pt reads PyTorch checkpoints saved by torch.save in the zip format
// (torch ≥ 1.6): a zip holding <prefix>/data.pkl (a pickle describing the
// state_dict) and one raw little-endian storage per <prefix>/data/<key>.
//
// The pickle is never executed. Its opcodes are checked against an
// allow-list first, and the only globals it may name are the torch storage
// classes, torch._utils' tensor rebuild functions and
// collections.OrderedDict; anything else (os.system, builtins.eval, ...) is
// refused with a GlobalError. The pickle is decoded with gopickle's pickle
// package; storages are read directly from the zip (F32, F16, BF16 and F64,
// plus integer types), honouring storage offsets and strides, one tensor or
// one range of a tensor at a time.
package pt

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path"
	"strings"

	"github.com/nlpodyssey/gopickle/types"

	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// zipMagic starts every zip file (a local file header).
var zipMagic = []byte("PK\x03\x04")

// maxTensors bounds the number of tensors in a checkpoint.
const maxTensors = 1 << 20

// File is an open torch checkpoint. Its read methods may be called
// concurrently; Close must not run concurrently with them.
type File struct {
	label   string
	closer  io.Closer
	ra      io.ReaderAt
	names   []string
	tensors map[string]*tensor
}

// tensor is one state_dict entry with its validated storage.
type tensor struct {
	raw   *rawTensor
	entry *zip.File
	es    int // element size in bytes
	n     int // element count
	// contiguous is true when the tensor is the storage elements
	// [offset, offset+n) in row-major order.
	contiguous bool
}

// Open opens a checkpoint file.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	p, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	p.closer = f
	return p, nil
}

// NewReader reads a checkpoint from ra (size bytes); label names it in
// errors.
func NewReader(ra io.ReaderAt, size int64, label string) (*File, error) {
	fail := func(err error) (*File, error) { return nil, fmt.Errorf("%s: %w", label, err) }
	var head [4]byte
	if _, err := ra.ReadAt(head[:], 0); err != nil || !bytes.Equal(head[:], zipMagic) {
		if err == nil && head[0] == 0x80 {
			return fail(errors.New("legacy (pre-1.6, non-zip) torch format is not supported: re-save it with a recent torch.save"))
		}
		return fail(errors.New("not a torch zip checkpoint (wrong magic bytes)"))
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return fail(err)
	}
	entries := make(map[string]*zip.File, len(zr.File))
	var pkl *zip.File
	for _, f := range zr.File {
		entries[f.Name] = f
		if f.Name == "data.pkl" || strings.HasSuffix(f.Name, "/data.pkl") && strings.Count(f.Name, "/") == 1 {
			if pkl != nil {
				return fail(errors.New("zip holds more than one data.pkl"))
			}
			pkl = f
		}
	}
	if pkl == nil {
		return fail(errors.New("zip holds no data.pkl: not a torch checkpoint"))
	}
	prefix := path.Dir(pkl.Name)
	if bo, ok := entries[path.Join(prefix, "byteorder")]; ok {
		b, err := readEntry(bo, 16)
		if err != nil {
			return fail(fmt.Errorf("byteorder: %w", err))
		}
		if s := strings.TrimSpace(string(b)); s != "little" {
			return fail(fmt.Errorf("byte order %q is not supported", s))
		}
	}
	data, err := readEntry(pkl, maxPickleSize)
	if err != nil {
		return fail(fmt.Errorf("data.pkl: %w", err))
	}
	obj, err := unpickle(data)
	if err != nil {
		return fail(err)
	}
	p := &File{label: label, ra: ra, tensors: map[string]*tensor{}}
	if err := p.collect(obj, entries, prefix); err != nil {
		return fail(err)
	}
	return p, nil
}

// readEntry reads a whole (small) zip entry, at most limit bytes.
func readEntry(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%d bytes exceeds the %d-byte limit", f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return b, nil
}

// collect finds the state_dict in the unpickled object and validates every
// tensor against its storage entry.
func (p *File) collect(obj interface{}, entries map[string]*zip.File, prefix string) error {
	keys, vals, ok := dictItems(obj)
	if !ok {
		return fmt.Errorf("checkpoint holds a %T, not a state_dict", obj)
	}
	// A training checkpoint may wrap the state_dict: {"state_dict": ...} or
	// {"model": ...}.
	if len(keys) > 0 {
		if _, isT := vals[0].(*rawTensor); !isT {
			for i, k := range keys {
				if k == "state_dict" || k == "model" || k == "model_state_dict" {
					if _, _, ok := dictItems(vals[i]); ok {
						return p.collect(vals[i], entries, prefix)
					}
				}
			}
		}
	}
	if len(keys) > maxTensors {
		return fmt.Errorf("%d entries exceed the limit of %d", len(keys), maxTensors)
	}
	for i, name := range keys {
		rt, ok := vals[i].(*rawTensor)
		if !ok {
			return fmt.Errorf("state_dict entry %q is a %T, not a tensor", name, vals[i])
		}
		if _, dup := p.tensors[name]; dup {
			return fmt.Errorf("state_dict entry %q appears twice", name)
		}
		t, err := checkTensor(rt, entries, prefix)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", name, err)
		}
		p.names = append(p.names, name)
		p.tensors[name] = t
	}
	return nil
}

// dictItems returns the string keys and values of a (Ordered)Dict.
func dictItems(obj interface{}) (keys []string, vals []interface{}, ok bool) {
	switch d := obj.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			ent, _ := e.Value.(*types.OrderedDictEntry)
			if ent == nil {
				return nil, nil, false
			}
			k, isStr := ent.Key.(string)
			if !isStr {
				return nil, nil, false
			}
			keys, vals = append(keys, k), append(vals, ent.Value)
		}
		return keys, vals, true
	case *types.Dict:
		for _, ent := range *d {
			k, isStr := ent.Key.(string)
			if !isStr {
				return nil, nil, false
			}
			keys, vals = append(keys, k), append(vals, ent.Value)
		}
		return keys, vals, true
	}
	return nil, nil, false
}

// elemSize is the byte size of a storage dtype.
func elemSize(dtype string) int {
	switch dtype {
	case "F64", "I64":
		return 8
	case "F32", "I32":
		return 4
	case "F16", "BF16", "I16":
		return 2
	case "I8", "U8", "BOOL":
		return 1
	}
	return 0
}

// checkTensor validates shape, strides and offset against the storage.
func checkTensor(rt *rawTensor, entries map[string]*zip.File, prefix string) (*tensor, error) {
	st := rt.storage
	entry, ok := entries[path.Join(prefix, "data", st.key)]
	if !ok {
		return nil, fmt.Errorf("storage %q is missing from the zip", st.key)
	}
	es := elemSize(st.dtype)
	hi, need := bits.Mul64(uint64(st.numel), uint64(es))
	if hi != 0 || need > entry.UncompressedSize64 {
		return nil, fmt.Errorf("storage %q holds %d bytes, its %d %s elements need %d", st.key, entry.UncompressedSize64, st.numel, st.dtype, need)
	}
	n := uint64(1)
	last := uint64(rt.offset) // largest storage index touched
	for i, d := range rt.shape {
		h, lo := bits.Mul64(n, uint64(d))
		if h != 0 || lo > 1<<40 {
			return nil, fmt.Errorf("shape %v is too large", rt.shape)
		}
		n = lo
		if d > 0 {
			h, span := bits.Mul64(uint64(d-1), uint64(rt.stride[i]))
			if h != 0 || span > 1<<50 {
				return nil, fmt.Errorf("stride %v is too large", rt.stride)
			}
			last += span
		}
	}
	if n > 0 && last >= uint64(st.numel) {
		return nil, fmt.Errorf("offset %d, shape %v and stride %v reach element %d of storage %q, which has %d", rt.offset, rt.shape, rt.stride, last, st.key, st.numel)
	}
	t := &tensor{raw: rt, entry: entry, es: es, n: int(n), contiguous: true}
	want := int64(1)
	for i := len(rt.shape) - 1; i >= 0; i-- {
		if rt.shape[i] != 1 && rt.stride[i] != want {
			t.contiguous = false
		}
		want *= int64(rt.shape[i])
	}
	return t, nil
}

// Close closes the underlying file (when opened with Open).
func (p *File) Close() error {
	if p.closer != nil {
		c := p.closer
		p.closer = nil
		return c.Close()
	}
	return nil
}

// Names returns the tensor names in state_dict order.
func (p *File) Names() []string { return append([]string(nil), p.names...) }

// Info describes a tensor; DType is its storage's dtype and Size its
// element count times the element size (Offset is 0: the data lives in the
// zip).
func (p *File) Info(name string) (safetensors.Info, bool) {
	t, ok := p.tensors[name]
	if !ok {
		return safetensors.Info{}, false
	}
	return safetensors.Info{Name: name, DType: safetensors.DType(t.raw.storage.dtype), Shape: append([]int(nil), t.raw.shape...), Size: int64(t.n * t.es)}, true
}

var _ safetensors.Reader = (*File)(nil)
