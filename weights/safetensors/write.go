package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Tensor is one tensor to write: Data holds the row-major little-endian
// elements, len(Data) == product(Shape) × DType.Size(). An empty Shape is a
// scalar.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// F32Tensor returns a Tensor of dtype F32 holding v.
func F32Tensor(name string, shape []int, v []float32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return Tensor{Name: name, DType: F32, Shape: append([]int(nil), shape...), Data: b}
}

// F64Tensor returns a Tensor of dtype F64 holding v.
func F64Tensor(name string, shape []int, v []float64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return Tensor{Name: name, DType: F64, Shape: append([]int(nil), shape...), Data: b}
}

// I64Tensor returns a Tensor of dtype I64 holding v.
func I64Tensor(name string, shape []int, v []int64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return Tensor{Name: name, DType: I64, Shape: append([]int(nil), shape...), Data: b}
}

// Encode writes tensors and metadata in safetensors format to w, tensors in
// sorted-name order and contiguous. The header is padded with spaces to a
// multiple of 8 bytes so the data section starts 8-byte aligned in the file.
// Everything is validated before the first byte is written.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	head, order, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("safetensors: write: %w", err)
	}
	for _, t := range order {
		if _, err := w.Write(t.Data); err != nil {
			return fmt.Errorf("safetensors: write tensor %q: %w", t.Name, err)
		}
	}
	return nil
}

// encodeHeader validates the tensors and returns the length prefix plus
// header bytes, and the tensors in the order their data must follow.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, []Tensor, error) {
	order := append([]Tensor(nil), tensors...)
	sort.Slice(order, func(a, b int) bool { return order[a].Name < order[b].Name })
	for i, t := range order {
		if err := checkTensor(t); err != nil {
			return nil, nil, fmt.Errorf("safetensors: %w", err)
		}
		if i > 0 && order[i-1].Name == t.Name {
			return nil, nil, fmt.Errorf("safetensors: duplicate tensor name %q", t.Name)
		}
	}

	var h bytes.Buffer
	h.WriteByte('{')
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, fmt.Errorf("safetensors: metadata %q: key or value is not valid UTF-8", k)
		}
	}
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata) // sorted keys, deterministic
		if err != nil {
			return nil, nil, fmt.Errorf("safetensors: metadata: %w", err)
		}
		h.WriteString(`"` + metadataKey + `":`)
		h.Write(m)
	}
	var off int64
	for i, t := range order {
		if i > 0 || len(metadata) > 0 {
			h.WriteByte(',')
		}
		name, err := json.Marshal(t.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %w", t.Name, err)
		}
		h.Write(name)
		h.WriteString(`:{"dtype":`)
		h.WriteString(strconv.Quote(string(t.DType))) // validated: plain ASCII
		h.WriteString(`,"shape":[`)
		for k, d := range t.Shape {
			if k > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		end := off + int64(len(t.Data))
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > maxHeaderSize {
		return nil, nil, fmt.Errorf("safetensors: header is %d bytes, over the %d-byte limit", h.Len(), maxHeaderSize)
	}
	out := make([]byte, 8, 8+h.Len())
	binary.LittleEndian.PutUint64(out, uint64(h.Len()))
	return append(out, h.Bytes()...), order, nil
}

// checkTensor validates one tensor's name, dtype, shape and data length.
func checkTensor(t Tensor) error {
	switch {
	case t.Name == "":
		return errors.New("tensor with empty name")
	case t.Name == metadataKey:
		return fmt.Errorf("tensor name %q is reserved", t.Name)
	case !utf8.ValidString(t.Name):
		// JSON would replace the bad bytes, changing the name on disk.
		return fmt.Errorf("tensor name %q is not valid UTF-8", t.Name)
	}
	size := t.DType.Size()
	if size == 0 {
		return fmt.Errorf("tensor %q: unknown dtype %q", t.Name, string(t.DType))
	}
	shape := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q: shape %v: dim %d is negative", t.Name, t.Shape, i)
		}
		shape[i] = int64(d)
	}
	numel, ok := numElements(shape)
	if !ok || numel > math.MaxInt64/int64(size) {
		return fmt.Errorf("tensor %q: shape %v: element count overflows", t.Name, t.Shape)
	}
	if want := numel * int64(size); int64(len(t.Data)) != want {
		return fmt.Errorf("tensor %q: data is %d bytes, shape %v of %s needs %d", t.Name, len(t.Data), t.Shape, t.DType, want)
	}
	return nil
}

// WriteFile writes a safetensors file atomically: it encodes into a temporary
// file in the same directory, syncs and closes it, then renames it over path,
// so readers never see a partial file. On error nothing is left behind.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) (err error) {
	// Validate first so that bad input does not even create a temp file.
	if _, _, err := encodeHeader(tensors, metadata); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close() // may already be closed; the error is irrelevant then
			os.Remove(tmp.Name())
		}
	}()
	if err := Encode(tmp, tensors, metadata); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; give it the usual mode of a data file.
	// Best effort: some platforms (wasip1) have no chmod, and the mode does
	// not affect the content.
	_ = tmp.Chmod(0o644)
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename durable where the platform supports syncing a
// directory; failure only weakens durability, so it is ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
