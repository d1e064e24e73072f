// Package bundle reads and writes weight bundles: the one on-disk (and
// on-the-wire) form of a model's weights that the browser, the server, the
// trainer and the converter share.
//
// A bundle is a directory holding manifest.json and content-addressed shard
// files named <sha256>.bin. The manifest records the format version, the
// model config (opaque text plus the family name: this package does not
// interpret it), the tokenizer, the shards and the tensor table. Tensors are
// laid out one after another in a logical byte stream that is cut into
// shards of at most ShardSize raw bytes (MaxShardSize at most). Each tensor
// starts 64-byte aligned; a tensor that does not fit in what is left of a
// shard starts the next one, and a tensor larger than a shard fills
// consecutive shards. A shard is stored zstd-compressed only when that
// saves at least 5%; its file name is the SHA-256 of the stored bytes, so
// browsers may cache shards forever. Readers verify every shard's hash
// before using it.
//
// Tensor dtypes are F32, F16 and BF16 (little-endian, row-major, as in
// safetensors) and the quantised Q8 and Q4 (see package quant: codes, then
// f16 scales, one per Group values along the last dimension).
package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"regexp"

	"github.com/xlstm-go/xlstm/weights/quant"
)

// Format is the value of Manifest.Format.
const Format = "xlstm-bundle"

// Version is the manifest version this package writes and reads.
const Version = 1

// ManifestName is the manifest's file name inside a bundle.
const ManifestName = "manifest.json"

// MaxShardSize is the largest shard accepted (25 MiB), raw or stored.
const MaxShardSize = 25 << 20

// DefaultShardSize is the raw shard size the writer uses unless told (24 MiB).
const DefaultShardSize = 24 << 20

// Align is the byte alignment of every tensor inside the shard stream.
const Align = 64

// maxManifestSize bounds the manifest a reader accepts (64 MiB).
const maxManifestSize = 64 << 20

// maxTokenizerSize bounds a tokenizer file: like a shard, at most 25 MiB,
// so that every file of a bundle fits static hosting limits.
const maxTokenizerSize = MaxShardSize

// Compression names used in Shard.Compression.
const (
	CompressionNone = ""     // stored as is
	CompressionZstd = "zstd" // one zstd frame
)

// Tensor dtypes of a bundle.
const (
	F32  = "F32"  // IEEE binary32
	F16  = "F16"  // IEEE binary16
	BF16 = "BF16" // bfloat16
	Q8   = "Q8"   // int8 codes + f16 group scales (package quant)
	Q4   = "Q4"   // 4-bit codes + f16 group scales (package quant)
)

// Manifest is the content of manifest.json.
type Manifest struct {
	Format  string `json:"format"`  // always Format
	Version int    `json:"version"` // always Version
	// Model is the model's configuration, kept as text for the model
	// package to parse.
	Model Model `json:"model"`
	// Tokenizer is nil when the bundle names none.
	Tokenizer *Tokenizer `json:"tokenizer,omitempty"`
	// DType is the dtype the bundle was made with ("f32", "f16", "bf16",
	// "q8", "q4"); informational, each tensor carries its own.
	DType string `json:"dtype,omitempty"`
	// ShardSize is the raw size the writer cut shards at.
	ShardSize int64    `json:"shard_size"`
	Shards    []Shard  `json:"shards"`
	Tensors   []Tensor `json:"tensors"`
}

// Model carries the model configuration.
type Model struct {
	Family string `json:"family"` // "xlstm-lm" or "xlstm-large"
	// ConfigFormat is how Config is written: "yaml" (the official
	// config.yaml keys) or "json".
	ConfigFormat string `json:"config_format"`
	Config       string `json:"config"`
}

// Tokenizer names the model's tokenizer. Type "byte" is the byte-level
// tokenizer (ids 0–255, nothing stored). Type "hf" is a Hugging Face
// tokenizer.json stored in the bundle as the file File (= SHA256 + ".bin",
// uncompressed, Size bytes).
type Tokenizer struct {
	Type   string `json:"type"`
	File   string `json:"file,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size,omitempty"`
}

// Shard is one shard file.
type Shard struct {
	File        string `json:"file"`   // SHA256 + ".bin"
	SHA256      string `json:"sha256"` // of the stored bytes
	Size        int64  `json:"size"`   // stored bytes
	RawSize     int64  `json:"raw_size"`
	Compression string `json:"compression,omitempty"` // "" or "zstd"
}

// Tensor is one row of the tensor table. Its Length bytes start at Offset in
// shard Shard and continue from the start of the following shards when the
// tensor spans several.
type Tensor struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Group  int    `json:"group,omitempty"` // Q8/Q4 only: values per scale
	Shard  int    `json:"shard"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

// NumElements returns the product of the dims (1 for a scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

var hexName = regexp.MustCompile(`^[0-9a-f]{64}$`)

// PayloadSize returns the bytes a tensor of dtype, shape and group takes,
// or an error naming what is wrong with them. Dims must be non-negative and
// the element count at most 2^40; quantised tensors need at least one dim
// and a group dividing the last one.
func PayloadSize(dtype string, shape []int, group int) (int64, error) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > 1<<40 {
			return 0, fmt.Errorf("shape %v is too large", shape)
		}
		n = lo
	}
	if k, ok := quant.ParseKind(dtype); ok && (dtype == Q8 || dtype == Q4) {
		if len(shape) == 0 {
			return 0, fmt.Errorf("%s tensor needs at least one dimension", dtype)
		}
		last := shape[len(shape)-1]
		if last == 0 || group < 1 || last%group != 0 {
			return 0, fmt.Errorf("%s group %d does not divide the last dimension of shape %v", dtype, group, shape)
		}
		if err := k.CheckGroup(int(n), group); err != nil {
			return 0, fmt.Errorf("%s: %w", dtype, err)
		}
		return int64(k.Size(int(n), group)), nil
	}
	if group != 0 {
		return 0, fmt.Errorf("dtype %s takes no group (got %d)", dtype, group)
	}
	switch dtype {
	case F32, F16, BF16:
		return int64(n) * int64(quant.ElemSize(dtype)), nil
	}
	return 0, fmt.Errorf("unknown dtype %q", dtype)
}

// ParseManifest decodes and validates manifest.json. Every error names the
// field, shard or tensor at fault.
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > maxManifestSize {
		return nil, fmt.Errorf("manifest: %d bytes exceeds the %d-byte limit", len(data), maxManifestSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if dec.More() {
		return nil, errors.New("manifest: trailing data after the JSON object")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks the manifest's consistency: format and version, shard
// names, hashes and sizes, and every tensor's dtype, shape, group and
// placement inside the shards.
func (m *Manifest) Validate() error {
	if m.Format != Format {
		return fmt.Errorf("manifest: format %q, want %q", m.Format, Format)
	}
	if m.Version != Version {
		return fmt.Errorf("manifest: version %d is not supported (this reader knows %d)", m.Version, Version)
	}
	if m.Model.Family == "" || m.Model.Config == "" {
		return errors.New("manifest: model family and config are required")
	}
	if m.Model.ConfigFormat != "yaml" && m.Model.ConfigFormat != "json" {
		return fmt.Errorf("manifest: model config_format %q, want yaml or json", m.Model.ConfigFormat)
	}
	if err := m.Tokenizer.validate(); err != nil {
		return err
	}
	if m.ShardSize < Align || m.ShardSize > MaxShardSize || m.ShardSize%Align != 0 {
		return fmt.Errorf("manifest: shard_size %d: want a multiple of %d in [%d, %d]", m.ShardSize, Align, Align, MaxShardSize)
	}
	// ends[i] is the stream position just after shard i.
	ends := make([]int64, len(m.Shards))
	var pos int64
	for i, s := range m.Shards {
		if err := s.validate(m.ShardSize); err != nil {
			return fmt.Errorf("manifest: shard %d (%s): %w", i, s.File, err)
		}
		pos += s.RawSize
		ends[i] = pos
	}
	seen := make(map[string]bool, len(m.Tensors))
	for i := range m.Tensors {
		t := &m.Tensors[i]
		if err := t.validate(m.Shards, ends); err != nil {
			return fmt.Errorf("manifest: tensor %q: %w", t.Name, err)
		}
		if seen[t.Name] {
			return fmt.Errorf("manifest: tensor %q appears twice", t.Name)
		}
		seen[t.Name] = true
	}
	return nil
}

func (tk *Tokenizer) validate() error {
	if tk == nil {
		return nil
	}
	switch tk.Type {
	case "byte":
		if tk.File != "" || tk.SHA256 != "" || tk.Size != 0 {
			return errors.New("manifest: byte tokenizer takes no file")
		}
	case "hf":
		if !hexName.MatchString(tk.SHA256) || tk.File != tk.SHA256+".bin" {
			return fmt.Errorf("manifest: tokenizer file %q must be its lower-case sha256 %q + .bin", tk.File, tk.SHA256)
		}
		if tk.Size < 0 || tk.Size > maxTokenizerSize {
			return fmt.Errorf("manifest: tokenizer size %d out of range", tk.Size)
		}
	default:
		return fmt.Errorf("manifest: tokenizer type %q, want byte or hf", tk.Type)
	}
	return nil
}

func (s *Shard) validate(shardSize int64) error {
	if !hexName.MatchString(s.SHA256) || s.File != s.SHA256+".bin" {
		return fmt.Errorf("file name must be its lower-case sha256 %q + .bin", s.SHA256)
	}
	if s.RawSize <= 0 || s.RawSize > shardSize {
		return fmt.Errorf("raw_size %d out of range (0, %d]", s.RawSize, shardSize)
	}
	switch s.Compression {
	case CompressionNone:
		if s.Size != s.RawSize {
			return fmt.Errorf("size %d differs from raw_size %d without compression", s.Size, s.RawSize)
		}
	case CompressionZstd:
		if s.Size <= 0 || s.Size >= s.RawSize {
			return fmt.Errorf("compressed size %d is not below raw_size %d", s.Size, s.RawSize)
		}
	default:
		return fmt.Errorf("unknown compression %q", s.Compression)
	}
	return nil
}

func (t *Tensor) validate(shards []Shard, ends []int64) error {
	if t.Name == "" {
		return errors.New("empty name")
	}
	want, err := PayloadSize(t.DType, t.Shape, t.Group)
	if err != nil {
		return err
	}
	if t.Length != want {
		return fmt.Errorf("length %d, want %d for %s %v", t.Length, want, t.DType, t.Shape)
	}
	if t.Length == 0 {
		return nil // placement does not matter
	}
	if t.Shard < 0 || t.Shard >= len(shards) {
		return fmt.Errorf("shard %d out of range [0, %d)", t.Shard, len(shards))
	}
	if t.Offset < 0 || t.Offset%Align != 0 || t.Offset >= shards[t.Shard].RawSize {
		return fmt.Errorf("offset %d is not an aligned position inside shard %d", t.Offset, t.Shard)
	}
	start := ends[t.Shard] - shards[t.Shard].RawSize + t.Offset
	if last := ends[len(ends)-1]; t.Length > last-start {
		return fmt.Errorf("bytes [%d, %d) run past the end of the shards (%d)", start, start+t.Length, last)
	}
	return nil
}

// streamStart returns the stream position where shard i starts.
func (m *Manifest) streamStart(i int) int64 {
	var p int64
	for _, s := range m.Shards[:i] {
		p += s.RawSize
	}
	return p
}

// Marshal returns the manifest as indented JSON with a final newline; the
// output is deterministic.
func (m *Manifest) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Find returns the tensor row named name.
func (m *Manifest) Find(name string) (*Tensor, bool) {
	for i := range m.Tensors {
		if m.Tensors[i].Name == name {
			return &m.Tensors[i], true
		}
	}
	return nil, false
}

// Params returns the total number of parameters (elements) in the bundle.
func (m *Manifest) Params() int64 {
	var n int64
	for i := range m.Tensors {
		n += int64(m.Tensors[i].NumElements())
	}
	return n
}

// StoredBytes returns the total size of the shard files (each distinct file
// counted once).
func (m *Manifest) StoredBytes() int64 {
	var n int64
	seen := map[string]bool{}
	for _, s := range m.Shards {
		if !seen[s.File] {
			seen[s.File] = true
			n += s.Size
		}
	}
	return n
}
