package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/xlstm-go/xlstm/weights/quant"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// cacheShards is how many decoded shards a Reader keeps.
const cacheShards = 2

// Reader reads a bundle's tensors, verifying each shard's SHA-256 (and
// decompressing it) the first time it is needed. It has the read methods of
// safetensors.Reader, so model loaders take it like a safetensors file;
// quantised tensors are dequantised on read. Its methods are safe for
// concurrent use.
type Reader struct {
	fsys   fs.FS
	man    *Manifest
	byName map[string]*Tensor
	starts []int64 // stream position of each shard's first byte

	mu    sync.Mutex
	cache []cached // most recently used last
	dec   *zstd.Decoder
}

type cached struct {
	index int
	raw   []byte
}

// Open opens the bundle in directory dir.
func Open(dir string) (*Reader, error) {
	r, err := OpenFS(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", dir, err)
	}
	return r, nil
}

// OpenFS opens the bundle at the root of fsys (for example a file system
// served by fetch in the browser). It reads and validates the manifest;
// shards are read and verified when first used, or all at once by Verify.
func OpenFS(fsys fs.FS) (*Reader, error) {
	data, err := readLimited(fsys, ManifestName, maxManifestSize)
	if err != nil {
		return nil, err
	}
	man, err := ParseManifest(data)
	if err != nil {
		return nil, err
	}
	r := &Reader{fsys: fsys, man: man, byName: make(map[string]*Tensor, len(man.Tensors))}
	for i := range man.Tensors {
		r.byName[man.Tensors[i].Name] = &man.Tensors[i]
	}
	var p int64
	for _, s := range man.Shards {
		r.starts = append(r.starts, p)
		p += s.RawSize
	}
	return r, nil
}

// readLimited reads a whole file of at most limit bytes.
func readLimited(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, limit)
	}
	return data, nil
}

// Manifest returns the bundle's manifest (not to be modified).
func (r *Reader) Manifest() *Manifest { return r.man }

// Close releases the cached shards. Later reads load them again.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache = nil
	if r.dec != nil {
		r.dec.Close()
		r.dec = nil
	}
	return nil
}

// Names returns the tensor names in manifest order.
func (r *Reader) Names() []string {
	out := make([]string, len(r.man.Tensors))
	for i := range r.man.Tensors {
		out[i] = r.man.Tensors[i].Name
	}
	return out
}

// Info describes a tensor as safetensors does; DType is the bundle dtype
// (F32, F16, BF16, Q8 or Q4) and Size the payload length.
func (r *Reader) Info(name string) (safetensors.Info, bool) {
	t, ok := r.byName[name]
	if !ok {
		return safetensors.Info{}, false
	}
	return safetensors.Info{Name: t.Name, DType: safetensors.DType(t.DType), Shape: append([]int(nil), t.Shape...), Size: t.Length}, true
}

// Tensor returns the manifest row of a tensor.
func (r *Reader) Tensor(name string) (Tensor, bool) {
	t, ok := r.byName[name]
	if !ok {
		return Tensor{}, false
	}
	c := *t
	c.Shape = append([]int(nil), t.Shape...)
	return c, true
}

// Raw returns a copy of a tensor's payload in its stored layout.
func (r *Reader) Raw(name string) ([]byte, error) {
	t, err := r.lookup(name)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, t.Length)
	if err := r.readBytes(t, 0, buf); err != nil {
		return nil, fmt.Errorf("bundle: tensor %q: %w", name, err)
	}
	return buf, nil
}

func (r *Reader) lookup(name string) (*Tensor, error) {
	t, ok := r.byName[name]
	if !ok {
		return nil, fmt.Errorf("bundle: no tensor %q", name)
	}
	return t, nil
}

// ReadFloat32 reads a whole tensor into dst (len = element count),
// converting or dequantising as needed.
func (r *Reader) ReadFloat32(name string, dst []float32) error {
	t, err := r.lookup(name)
	if err != nil {
		return err
	}
	if len(dst) != t.NumElements() {
		return fmt.Errorf("bundle: tensor %q has %d elements, buffer %d", name, t.NumElements(), len(dst))
	}
	return r.ReadFloat32At(name, 0, dst)
}

// ReadFloat64 reads a whole tensor into dst (len = element count).
func (r *Reader) ReadFloat64(name string, dst []float64) error {
	t, err := r.lookup(name)
	if err != nil {
		return err
	}
	if len(dst) != t.NumElements() {
		return fmt.Errorf("bundle: tensor %q has %d elements, buffer %d", name, t.NumElements(), len(dst))
	}
	const chunk = 1 << 16
	buf := make([]float32, min(chunk, len(dst)))
	for off := 0; off < len(dst); off += len(buf) {
		b := buf[:min(len(buf), len(dst)-off)]
		if err := r.ReadFloat32At(name, off, b); err != nil {
			return err
		}
		for i, v := range b {
			dst[off+i] = float64(v)
		}
	}
	return nil
}

// ReadFloat32At reads the elements [off, off+len(dst)) of a tensor in
// row-major order. For Q8/Q4 tensors, off and len(dst) must be multiples of
// the group size.
func (r *Reader) ReadFloat32At(name string, off int, dst []float32) error {
	t, err := r.lookup(name)
	if err != nil {
		return err
	}
	n := t.NumElements()
	if off < 0 || len(dst) > n-off {
		return fmt.Errorf("bundle: tensor %q: elements [%d,%d) out of range [0,%d)", name, off, off+len(dst), n)
	}
	if k, ok := quant.ParseKind(t.DType); ok {
		if off%t.Group != 0 || len(dst)%t.Group != 0 {
			return fmt.Errorf("bundle: tensor %q: range [%d,%d) is not whole groups of %d", name, off, off+len(dst), t.Group)
		}
		codes := make([]byte, k.CodeBytes(len(dst)))
		scales := make([]byte, 2*(len(dst)/t.Group))
		if err := r.readBytes(t, int64(k.CodeBytes(off)), codes); err != nil {
			return fmt.Errorf("bundle: tensor %q: %w", name, err)
		}
		if err := r.readBytes(t, int64(k.CodeBytes(n)+2*(off/t.Group)), scales); err != nil {
			return fmt.Errorf("bundle: tensor %q: %w", name, err)
		}
		return quant.Dequantize(k, codes, scales, t.Group, dst)
	}
	es := quant.ElemSize(t.DType)
	raw := make([]byte, len(dst)*es)
	if err := r.readBytes(t, int64(off*es), raw); err != nil {
		return fmt.Errorf("bundle: tensor %q: %w", name, err)
	}
	return quant.DecodeFloat32(t.DType, raw, dst)
}

// readBytes copies len(dst) payload bytes of t, starting at byte off of the
// payload, from its shards.
func (r *Reader) readBytes(t *Tensor, off int64, dst []byte) error {
	if off < 0 || int64(len(dst)) > t.Length-off {
		return errors.New("byte range out of bounds")
	}
	if len(dst) == 0 {
		return nil
	}
	pos := r.starts[t.Shard] + t.Offset + off
	// Find the shard holding pos; tensors are read in order, so start at
	// the tensor's own shard.
	i := t.Shard
	for pos >= r.starts[i]+r.man.Shards[i].RawSize {
		i++
	}
	for len(dst) > 0 {
		raw, err := r.shard(i)
		if err != nil {
			return err
		}
		k := copy(dst, raw[pos-r.starts[i]:])
		dst = dst[k:]
		pos += int64(k)
		i++
	}
	return nil
}

// shard returns shard i's raw bytes, loading, verifying and decompressing
// it when not cached.
func (r *Reader) shard(i int) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for j, c := range r.cache {
		if c.index == i {
			r.cache = append(append(r.cache[:j:j], r.cache[j+1:]...), c)
			return c.raw, nil
		}
	}
	raw, err := r.loadShard(i)
	if err != nil {
		return nil, err
	}
	if len(r.cache) >= cacheShards {
		r.cache = append(r.cache[:0:0], r.cache[1:]...)
	}
	r.cache = append(r.cache, cached{index: i, raw: raw})
	return raw, nil
}

// loadShard reads, verifies and decompresses shard i (r.mu held).
func (r *Reader) loadShard(i int) ([]byte, error) {
	s := r.man.Shards[i]
	stored, err := readLimited(r.fsys, s.File, MaxShardSize)
	if err != nil {
		return nil, fmt.Errorf("shard %d: %w", i, err)
	}
	if int64(len(stored)) != s.Size {
		return nil, fmt.Errorf("shard %s is corrupted: %d bytes, manifest says %d", s.File, len(stored), s.Size)
	}
	sum := sha256.Sum256(stored)
	if hex.EncodeToString(sum[:]) != s.SHA256 {
		return nil, fmt.Errorf("shard %s is corrupted: its sha256 is %x", s.File, sum)
	}
	if s.Compression == CompressionNone {
		return stored, nil
	}
	if r.dec == nil {
		r.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxShardSize+1<<20), zstd.WithDecoderMaxWindow(MaxShardSize+1<<20))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
	}
	raw, err := r.dec.DecodeAll(stored, make([]byte, 0, s.RawSize))
	if err != nil {
		return nil, fmt.Errorf("shard %s: decompress: %w", s.File, err)
	}
	if int64(len(raw)) != s.RawSize {
		return nil, fmt.Errorf("shard %s: decompressed to %d bytes, manifest says %d", s.File, len(raw), s.RawSize)
	}
	return raw, nil
}

// Verify reads every shard (and the tokenizer file) and checks its hash,
// size and decompression. The error names the first bad file.
func (r *Reader) Verify() error {
	for i := range r.man.Shards {
		r.mu.Lock()
		_, err := r.loadShard(i)
		r.mu.Unlock()
		if err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
	}
	if tk := r.man.Tokenizer; tk != nil && tk.Type == "hf" {
		if _, err := r.TokenizerFile(); err != nil {
			return err
		}
	}
	return nil
}

// TokenizerFile returns the stored tokenizer.json after checking its hash;
// it is an error when the bundle's tokenizer is not of type "hf".
func (r *Reader) TokenizerFile() ([]byte, error) {
	tk := r.man.Tokenizer
	if tk == nil || tk.Type != "hf" {
		return nil, errors.New("bundle: no tokenizer file")
	}
	data, err := readLimited(r.fsys, tk.File, maxTokenizerSize)
	if err != nil {
		return nil, fmt.Errorf("bundle: tokenizer: %w", err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != tk.SHA256 || int64(len(data)) != tk.Size {
		return nil, fmt.Errorf("bundle: tokenizer file %s is corrupted", tk.File)
	}
	return data, nil
}
