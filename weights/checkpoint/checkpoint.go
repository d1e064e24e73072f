// Package checkpoint opens any weights input the project reads — a torch
// .pt zip, a safetensors file or checkpoint directory (single file, shards,
// Hugging Face index) or a bundle directory — behind one Source interface
// that reads tensors whole or in element ranges, for streaming conversion in
// bounded memory. It does not interpret tensor names or configs.
package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/pt"
	"github.com/xlstm-go/xlstm/weights/quant"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// Kind says what a checkpoint is.
type Kind string

// The kinds of checkpoint Open recognises.
const (
	KindPT          Kind = "pt"          // torch zip checkpoint
	KindSafetensors Kind = "safetensors" // safetensors file or directory
	KindBundle      Kind = "bundle"      // weight bundle directory
)

// Source is a checkpoint's tensors. ReadFloat32At reads the elements
// [off, off+len(dst)) of a tensor in row-major order (for quantised bundle
// tensors off and len(dst) must be whole groups).
type Source interface {
	safetensors.Reader
	ReadFloat32At(name string, off int, dst []float32) error
}

// Checkpoint is an opened input.
type Checkpoint struct {
	Kind Kind
	// Path is the path given to Open.
	Path string
	// Dir is the directory that may hold config.yaml / config.json and
	// tokenizer.json: the path itself for directories, else its parent.
	Dir string
	Source
	// Bundle is set for KindBundle (its manifest has the config and
	// tokenizer).
	Bundle *bundle.Reader
}

var (
	_ Source = (*pt.File)(nil)
	_ Source = (*bundle.Reader)(nil)
	_ Source = (*stream)(nil)
)

// Open opens path: a directory with manifest.json is a bundle, another
// directory a safetensors checkpoint (or, without safetensors files, the
// directory's only .pt / .pth / pytorch_model.bin); a file is read as a
// torch zip checkpoint or a safetensors file according to its first bytes
// and name.
func Open(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, bundle.ManifestName)); err == nil {
			r, err := bundle.Open(path)
			if err != nil {
				return nil, err
			}
			return &Checkpoint{Kind: KindBundle, Path: path, Dir: path, Source: r, Bundle: r}, nil
		}
		set, err := safetensors.OpenDir(path)
		if err != nil {
			// No safetensors: a directory holding one torch checkpoint.
			if p, ok := singleTorchFile(path); ok {
				ck, perr := Open(p)
				if perr == nil {
					ck.Dir = path
				}
				return ck, perr
			}
			return nil, err
		}
		files := set.Files()
		set.Close()
		s, err := openStream(files)
		if err != nil {
			return nil, err
		}
		return &Checkpoint{Kind: KindSafetensors, Path: path, Dir: path, Source: s}, nil
	}
	head := make([]byte, 4)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	n, _ := f.ReadAt(head, 0)
	f.Close()
	head = head[:n]
	dir := filepath.Dir(path)
	if strings.HasPrefix(string(head), "PK") || strings.HasSuffix(path, ".pt") || strings.HasSuffix(path, ".pth") || strings.HasSuffix(path, ".bin") {
		p, err := pt.Open(path)
		if err != nil {
			return nil, err
		}
		return &Checkpoint{Kind: KindPT, Path: path, Dir: dir, Source: p}, nil
	}
	s, err := openStream([]string{path})
	if err != nil {
		return nil, err
	}
	return &Checkpoint{Kind: KindSafetensors, Path: path, Dir: dir, Source: s}, nil
}

// singleTorchFile returns the only *.pt, *.pth or pytorch_model.bin file
// of dir, if there is exactly one.
func singleTorchFile(dir string) (string, bool) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	var found []string
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() && (strings.HasSuffix(n, ".pt") || strings.HasSuffix(n, ".pth") || n == "pytorch_model.bin") {
			found = append(found, filepath.Join(dir, n))
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}

// stream reads safetensors files with positioned reads (no memory map), so
// that converting a large checkpoint keeps only the tensor at hand in memory.
type stream struct {
	files []*os.File
	infos map[string]streamInfo
	names []string
}

type streamInfo struct {
	safetensors.Info
	file int
	base int64 // absolute file offset of the data section
}

// openStream validates each file's header with the safetensors package and
// keeps the files open for reading.
func openStream(paths []string) (*stream, error) {
	s := &stream{infos: map[string]streamInfo{}}
	for i, p := range paths {
		hf, err := safetensors.Open(p)
		if err != nil {
			s.Close()
			return nil, err
		}
		names := hf.Names()
		infos := make([]safetensors.Info, len(names))
		for j, n := range names {
			infos[j], _ = hf.Info(n)
		}
		hf.Close()
		f, err := os.Open(p)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.files = append(s.files, f)
		var hdr [8]byte
		if _, err := f.ReadAt(hdr[:], 0); err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		base := 8 + int64(binary.LittleEndian.Uint64(hdr[:]))
		for _, in := range infos {
			if _, dup := s.infos[in.Name]; dup {
				s.Close()
				return nil, fmt.Errorf("%s: tensor %q is also in another file", p, in.Name)
			}
			s.infos[in.Name] = streamInfo{Info: in, file: i, base: base}
			s.names = append(s.names, in.Name)
		}
	}
	slices.Sort(s.names)
	return s, nil
}

// Close closes the files.
func (s *stream) Close() error {
	var errs []error
	for _, f := range s.files {
		errs = append(errs, f.Close())
	}
	s.files = nil
	return errors.Join(errs...)
}

// Names returns the tensor names, sorted.
func (s *stream) Names() []string { return slices.Clone(s.names) }

// Info describes a tensor (Offset is relative to its file's data section).
func (s *stream) Info(name string) (safetensors.Info, bool) {
	in, ok := s.infos[name]
	if !ok {
		return safetensors.Info{}, false
	}
	i := in.Info
	i.Shape = slices.Clone(i.Shape)
	return i, true
}

// ReadFloat32 reads a whole tensor.
func (s *stream) ReadFloat32(name string, dst []float32) error {
	in, ok := s.infos[name]
	if !ok {
		return fmt.Errorf("no tensor %q", name)
	}
	if len(dst) != in.NumElements() {
		return fmt.Errorf("tensor %q has %d elements, buffer %d", name, in.NumElements(), len(dst))
	}
	return s.ReadFloat32At(name, 0, dst)
}

// ReadFloat64 reads a whole tensor (through float32: inputs are at most F32
// except F64 files, which the converter stores as F32 anyway).
func (s *stream) ReadFloat64(name string, dst []float64) error {
	buf := make([]float32, len(dst))
	if err := s.ReadFloat32(name, buf); err != nil {
		return err
	}
	for i, v := range buf {
		dst[i] = float64(v)
	}
	return nil
}

// ReadFloat32At reads elements [off, off+len(dst)) with one positioned read.
func (s *stream) ReadFloat32At(name string, off int, dst []float32) error {
	in, ok := s.infos[name]
	if !ok {
		return fmt.Errorf("no tensor %q", name)
	}
	dt := string(in.DType)
	es := quant.ElemSize(dt)
	if es == 0 {
		return fmt.Errorf("tensor %q has dtype %s, not a float type", name, dt)
	}
	if off < 0 || len(dst) > in.NumElements()-off {
		return fmt.Errorf("tensor %q: elements [%d,%d) out of range", name, off, off+len(dst))
	}
	if s.files == nil {
		return fs.ErrClosed
	}
	raw := make([]byte, len(dst)*es)
	if _, err := s.files[in.file].ReadAt(raw, in.base+in.Offset+int64(off*es)); err != nil {
		return fmt.Errorf("tensor %q: %w", name, err)
	}
	return quant.DecodeFloat32(dt, raw, dst)
}
