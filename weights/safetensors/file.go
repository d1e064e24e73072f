package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"unicode/utf8"
)

// maxHeaderSize is the largest JSON header accepted (100 MiB), so that a
// corrupt length cannot make the parser chew through an arbitrary buffer.
const maxHeaderSize = 100 << 20

// metadataKey is the reserved header key holding string metadata.
const metadataKey = "__metadata__"

// Info describes one tensor of a file.
type Info struct {
	Name   string
	DType  DType
	Shape  []int
	Offset int64 // byte offset of the first element, relative to the data section
	Size   int64 // byte length of the data
}

// NumElements returns the number of elements (the product of the dims; 1 for
// a scalar with an empty shape).
func (i Info) NumElements() int {
	n := 1
	for _, d := range i.Shape {
		n *= d
	}
	return n
}

// clone returns i with its own copy of Shape, so callers cannot alter ours.
func (i Info) clone() Info {
	i.Shape = append([]int(nil), i.Shape...)
	return i
}

// Reader is what File and Set have in common: enough to look tensors up and
// read them as floats, which is what model loaders and parity tests need.
type Reader interface {
	Names() []string
	Info(name string) (Info, bool)
	ReadFloat32(name string, dst []float32) error
	ReadFloat64(name string, dst []float64) error
	Close() error
}

var (
	_ Reader = (*File)(nil)
	_ Reader = (*Set)(nil)
)

// File is one parsed safetensors file. Its read methods may be called
// concurrently; Close must not run concurrently with them.
type File struct {
	label    string // path, or "" for Parse; used in error messages
	data     []byte // the data section (a view of the whole buffer)
	unmap    func() error
	closed   bool
	infos    map[string]Info
	names    []string // sorted
	metadata map[string]string
}

// Parse parses a whole safetensors file held in memory. The File keeps a
// reference to data (no copy), so data must not be modified while it is used.
func Parse(data []byte) (*File, error) {
	return parse(data, "")
}

// Close releases the memory mapping, if any. Later reads fail; calling Close
// again does nothing.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	f.data = nil
	if f.unmap != nil {
		u := f.unmap
		f.unmap = nil
		if err := u(); err != nil {
			return f.errorf("close: %w", err)
		}
	}
	return nil
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	return append([]string(nil), f.names...)
}

// Info returns the description of the named tensor.
func (f *File) Info(name string) (Info, bool) {
	i, ok := f.infos[name]
	if !ok {
		return Info{}, false
	}
	return i.clone(), true
}

// Metadata returns a copy of the "__metadata__" map (empty if absent).
func (f *File) Metadata() map[string]string {
	m := make(map[string]string, len(f.metadata))
	for k, v := range f.metadata {
		m[k] = v
	}
	return m
}

// Raw returns the little-endian bytes of the named tensor. The slice aliases
// the file's buffer (read-only memory for Open): do not modify it, and do not
// use it after Close.
func (f *File) Raw(name string) ([]byte, error) {
	_, raw, err := f.lookup(name)
	return raw, err
}

// ReadFloat32 reads the named tensor into dst, whose length must equal the
// element count. F32, F16 and BF16 convert exactly; F64 rounds to nearest.
func (f *File) ReadFloat32(name string, dst []float32) error {
	info, raw, err := f.lookupFloat(name, len(dst))
	if err != nil {
		return err
	}
	decodeFloat32(info.DType, raw, dst)
	return nil
}

// ReadFloat64 reads the named tensor into dst, whose length must equal the
// element count. F64, F32, F16 and BF16 all convert exactly.
func (f *File) ReadFloat64(name string, dst []float64) error {
	info, raw, err := f.lookupFloat(name, len(dst))
	if err != nil {
		return err
	}
	decodeFloat64(info.DType, raw, dst)
	return nil
}

// Float32 returns the named float tensor as a new []float32 (see ReadFloat32).
func (f *File) Float32(name string) ([]float32, error) {
	info, raw, err := f.lookupFloat(name, -1)
	if err != nil {
		return nil, err
	}
	dst := make([]float32, info.NumElements())
	decodeFloat32(info.DType, raw, dst)
	return dst, nil
}

// Float64 returns the named float tensor as a new []float64 (see ReadFloat64).
func (f *File) Float64(name string) ([]float64, error) {
	info, raw, err := f.lookupFloat(name, -1)
	if err != nil {
		return nil, err
	}
	dst := make([]float64, info.NumElements())
	decodeFloat64(info.DType, raw, dst)
	return dst, nil
}

// Int64 returns the named integer tensor (I64, I32, I16, I8 or U8) as a new
// []int64.
func (f *File) Int64(name string) ([]int64, error) {
	info, raw, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if !info.DType.isInt() {
		return nil, f.errorf("tensor %q: dtype %s is not an integer type", name, info.DType)
	}
	dst := make([]int64, info.NumElements())
	decodeInt64(info.DType, raw, dst)
	return dst, nil
}

// lookup finds a tensor and its bytes. Offsets were validated by parse.
func (f *File) lookup(name string) (Info, []byte, error) {
	if f.closed {
		return Info{}, nil, f.errorf("tensor %q: file is closed", name)
	}
	info, ok := f.infos[name]
	if !ok {
		return Info{}, nil, f.errorf("no tensor %q", name)
	}
	return info, f.data[info.Offset : info.Offset+info.Size : info.Offset+info.Size], nil
}

// lookupFloat is lookup plus the checks shared by the float readers: a float
// dtype and, unless n < 0, n elements.
func (f *File) lookupFloat(name string, n int) (Info, []byte, error) {
	info, raw, err := f.lookup(name)
	if err != nil {
		return Info{}, nil, err
	}
	if !info.DType.isFloat() {
		return Info{}, nil, f.errorf("tensor %q: dtype %s is not a float type", name, info.DType)
	}
	if want := info.NumElements(); n >= 0 && n != want {
		return Info{}, nil, f.errorf("tensor %q: has %d elements (shape %v), dst has %d", name, want, info.Shape, n)
	}
	return info, raw, nil
}

// errorf formats an error prefixed with the package and, if known, the path.
func (f *File) errorf(format string, args ...any) error {
	return prefixErr(f.label, fmt.Errorf(format, args...))
}

func prefixErr(label string, err error) error {
	if label == "" {
		return fmt.Errorf("safetensors: %w", err)
	}
	return fmt.Errorf("safetensors %s: %w", label, err)
}

// parse validates buf as a safetensors file; label (a path or "") goes into
// error messages.
func parse(buf []byte, label string) (*File, error) {
	f, err := parseHeader(buf)
	if err != nil {
		return nil, prefixErr(label, err)
	}
	f.label = label
	return f, nil
}

func parseHeader(buf []byte) (*File, error) {
	if len(buf) < 8 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", len(buf))
	}
	n := binary.LittleEndian.Uint64(buf)
	if n > maxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit", n, maxHeaderSize)
	}
	if n > uint64(len(buf)-8) {
		return nil, fmt.Errorf("header length %d exceeds the file size %d", n, len(buf))
	}
	header := buf[8 : 8+n]
	data := buf[8+n:]
	if !utf8.Valid(header) {
		return nil, errors.New("header is not valid UTF-8")
	}
	entries, err := splitObject(header)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}

	f := &File{data: data, infos: make(map[string]Info, len(entries))}
	for _, e := range entries {
		if e.key == metadataKey {
			if err := json.Unmarshal(e.value, &f.metadata); err != nil {
				return nil, fmt.Errorf("header: %s must map strings to strings: %w", metadataKey, err)
			}
			continue
		}
		info, err := parseEntry(e.key, e.value, int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", e.key, err)
		}
		f.infos[e.key] = info
		f.names = append(f.names, e.key)
	}
	sort.Strings(f.names)
	if err := checkOverlap(f.infos); err != nil {
		return nil, err
	}
	return f, nil
}

// entry is one key of the header object with its undecoded value.
type entry struct {
	key   string
	value json.RawMessage
}

// splitObject decodes a JSON object key by key, so that duplicate keys (which
// a map would silently collapse) are rejected, and checks nothing but
// whitespace follows it.
func splitObject(b []byte) ([]entry, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	var out []entry
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("invalid JSON: object key %v is not a string", tok)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("invalid JSON at key %q: %w", key, err)
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		out = append(out, entry{key, v})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the header object")
	}
	return out, nil
}

// parseEntry decodes and validates one tensor entry against the data size.
func parseEntry(name string, raw json.RawMessage, dataSize int64) (Info, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return Info{}, errors.New("entry is not a JSON object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Info{}, fmt.Errorf("entry: %w", err)
	}
	get := func(field string, dst any) error {
		v, ok := fields[field]
		if !ok || string(bytes.TrimSpace(v)) == "null" {
			return fmt.Errorf("missing %s", field)
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return fmt.Errorf("field %s: %w", field, err)
		}
		return nil
	}
	var (
		dt      DType
		shape   []int64
		offsets []int64
	)
	if err := get("dtype", &dt); err != nil {
		return Info{}, err
	}
	if dt.Size() == 0 {
		return Info{}, fmt.Errorf("unknown dtype %q", string(dt))
	}
	if err := get("shape", &shape); err != nil {
		return Info{}, err
	}
	for i, d := range shape {
		if d < 0 {
			return Info{}, fmt.Errorf("shape %v: dim %d is negative", shape, i)
		}
		if uint64(d) > math.MaxInt {
			return Info{}, fmt.Errorf("shape %v: dim %d does not fit in int", shape, i)
		}
	}
	numel, ok := numElements(shape)
	if !ok {
		return Info{}, fmt.Errorf("shape %v: element count overflows", shape)
	}
	if err := get("data_offsets", &offsets); err != nil {
		return Info{}, err
	}
	if len(offsets) != 2 {
		return Info{}, fmt.Errorf("data_offsets %v: want [begin, end]", offsets)
	}
	begin, end := offsets[0], offsets[1]
	if begin < 0 || end < begin {
		return Info{}, fmt.Errorf("data_offsets %v: want 0 <= begin <= end", offsets)
	}
	if end > dataSize {
		return Info{}, fmt.Errorf("data_offsets %v: end is beyond the %d-byte data section", offsets, dataSize)
	}
	size := int64(dt.Size())
	if numel > math.MaxInt64/size || numel*size != end-begin {
		return Info{}, fmt.Errorf("data_offsets %v: %d bytes, but shape %v of %s needs %d elements × %d bytes",
			offsets, end-begin, shape, dt, numel, size)
	}
	info := Info{Name: name, DType: dt, Shape: make([]int, len(shape)), Offset: begin, Size: end - begin}
	for i, d := range shape {
		info.Shape[i] = int(d)
	}
	return info, nil
}

// checkOverlap rejects tensors whose byte ranges overlap. Empty tensors
// occupy no bytes and so overlap nothing; gaps between tensors are allowed.
func checkOverlap(infos map[string]Info) error {
	list := make([]Info, 0, len(infos))
	for _, i := range infos {
		if i.Size > 0 {
			list = append(list, i)
		}
	}
	sort.Slice(list, func(a, b int) bool {
		if list[a].Offset != list[b].Offset {
			return list[a].Offset < list[b].Offset
		}
		return list[a].Name < list[b].Name
	})
	for k := 1; k < len(list); k++ {
		prev, cur := list[k-1], list[k]
		if cur.Offset < prev.Offset+prev.Size {
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q [%d, %d]",
				cur.Name, cur.Offset, cur.Offset+cur.Size, prev.Name, prev.Offset, prev.Offset+prev.Size)
		}
	}
	return nil
}
