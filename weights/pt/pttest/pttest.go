// Package pttest writes torch zip checkpoints (the torch.save layout) and
// raw pickles, for tests and benchmarks of package pt and its users.
package pttest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Tensor is one state_dict entry to write.
type Tensor struct {
	Name string
	// DType is the storage type: "F32", "F16", "BF16" or "F64".
	DType string
	Shape []int
	// Stride in elements; nil means contiguous (row-major).
	Stride []int
	// Offset is the storage offset in elements.
	Offset int
	// Storage holds the raw little-endian storage bytes.
	Storage []byte
}

var storageClass = map[string]string{"F32": "FloatStorage", "F16": "HalfStorage", "BF16": "BFloat16Storage", "F64": "DoubleStorage"}
var elemSize = map[string]int{"F32": 4, "F16": 2, "BF16": 2, "F64": 8}

// Pickle builds a protocol-2 pickle one opcode at a time.
type Pickle struct{ bytes.Buffer }

// Proto writes PROTO 2.
func (p *Pickle) Proto() { p.Write([]byte{0x80, 2}) }

// Global writes GLOBAL module name.
func (p *Pickle) Global(module, name string) { fmt.Fprintf(p, "c%s\n%s\n", module, name) }

// Str writes BINUNICODE s.
func (p *Pickle) Str(s string) {
	p.WriteByte('X')
	binary.Write(p, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
}

// Int writes BININT n.
func (p *Pickle) Int(n int) {
	p.WriteByte('J')
	binary.Write(p, binary.LittleEndian, int32(n))
}

// Op writes raw opcodes, e.g. Op('(') for MARK, Op('t') for TUPLE,
// Op(')') for EMPTY_TUPLE, Op('R') for REDUCE, Op('u') for SETITEMS,
// Op('Q') for BINPERSID, Op(0x89) for NEWFALSE and Op('.') for STOP.
func (p *Pickle) Op(ops ...byte) { p.Write(ops) }

// Ints writes a tuple of ints.
func (p *Pickle) Ints(v []int) {
	p.Op('(')
	for _, x := range v {
		p.Int(x)
	}
	p.Op('t')
}

// StateDict returns the data.pkl of an OrderedDict of tensors whose storage
// keys are "0", "1", ... in order.
func StateDict(tensors []Tensor) []byte {
	var p Pickle
	p.Proto()
	p.Global("collections", "OrderedDict")
	p.Op(')', 'R', '(')
	for i, t := range tensors {
		p.Str(t.Name)
		p.Global("torch._utils", "_rebuild_tensor_v2")
		p.Op('(', '(')
		p.Str("storage")
		p.Global("torch", storageClass[t.DType])
		p.Str(strconv.Itoa(i))
		p.Str("cpu")
		p.Int(len(t.Storage) / max(elemSize[t.DType], 1))
		p.Op('t', 'Q')
		p.Int(t.Offset)
		p.Ints(t.Shape)
		stride := t.Stride
		if stride == nil {
			stride = make([]int, len(t.Shape))
			s := 1
			for d := len(t.Shape) - 1; d >= 0; d-- {
				stride[d] = s
				s *= t.Shape[d]
			}
		}
		p.Ints(stride)
		p.Op(0x89)
		p.Global("collections", "OrderedDict")
		p.Op(')', 'R', 't', 'R')
	}
	p.Op('u', '.')
	return p.Bytes()
}

// Entry is one file of a zip.
type Entry struct {
	Name string
	Data []byte
}

// Zip writes entries as an uncompressed (STORED) zip, as torch.save does.
func Zip(w io.Writer, entries []Entry) error {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: zip.Store})
		if err != nil {
			return err
		}
		if _, err := f.Write(e.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// Entries returns the zip entries of a checkpoint under prefix (torch uses
// the file's base name, e.g. "state_dict"), with pkl as data.pkl.
func Entries(prefix string, pkl []byte, tensors []Tensor) []Entry {
	es := []Entry{{prefix + "/data.pkl", pkl}}
	for i, t := range tensors {
		es = append(es, Entry{fmt.Sprintf("%s/data/%d", prefix, i), t.Storage})
	}
	return append(es, Entry{prefix + "/version", []byte("3\n")})
}

// WriteFile writes a torch checkpoint of tensors to path.
func WriteFile(path string, tensors []Tensor) error {
	var buf bytes.Buffer
	if err := Zip(&buf, Entries("archive", StateDict(tensors), tensors)); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// HostilePickle returns a pickle that, if executed by Python, would run
// os.system(cmd).
func HostilePickle(cmd string) []byte {
	var p Pickle
	p.Proto()
	p.Global("os", "system")
	p.Op('(')
	p.Str(cmd)
	p.Op('t', 'R', '.')
	return p.Bytes()
}
