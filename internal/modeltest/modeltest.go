// Package modeltest makes small models with seeded random weights for the
// tests of packages above runtime/model (engine, webgpu, serve, web, train):
// an in-memory model.Source, or a bundle written to disk.
package modeltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/quant"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// TinyLM is a byte-vocabulary original-LM config with both block kinds,
// a conv and two heads: small enough for any test.
const TinyLM = `
vocab_size: 260
context_length: 64
num_blocks: 3
embedding_dim: 32
slstm_at: [1]
mlstm_block:
  mlstm:
    conv1d_kernel_size: 4
    qkv_proj_blocksize: 4
    num_heads: 2
slstm_block:
  slstm:
    backend: vanilla
    num_heads: 2
    conv1d_kernel_size: 4
  feedforward:
    proj_factor: 1.3
    act_fn: gelu
`

// TinyLarge is a small xLSTM Large config (chunk size 8, two blocks).
const TinyLarge = `
embedding_dim: 64
num_heads: 2
num_blocks: 2
vocab_size: 260
qk_dim_factor: 0.5
v_dim_factor: 1.0
chunk_size: 8
ffn_proj_factor: 2.6667
ffn_round_up_to_multiple_of: 64
gate_soft_cap: 15.0
output_logit_soft_cap: 30.0
weight_mode: single
`

// Source is an in-memory model.Source holding float64 values.
type Source struct {
	names  []string
	shapes map[string][]int
	data   map[string][]float64
}

// Random fills every tensor cfg needs with seeded Gaussian noise scaled by
// 1/sqrt(fan-in) (0.5 for vectors), the same for the same seed.
func Random(cfg *model.Config, seed uint64) (*Source, error) {
	specs, err := model.Tensors(cfg)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s := &Source{shapes: map[string][]int{}, data: map[string][]float64{}}
	for _, sp := range specs {
		std := 0.5
		if len(sp.Shape) >= 2 {
			std = 1 / math.Sqrt(float64(sp.Shape[len(sp.Shape)-1]))
		}
		v := make([]float64, numel(sp.Shape))
		for i := range v {
			v[i] = rng.NormFloat64() * std
		}
		s.names = append(s.names, sp.Name)
		s.shapes[sp.Name], s.data[sp.Name] = slices.Clone(sp.Shape), v
	}
	return s, nil
}

// Names returns the tensor names in spec order.
func (s *Source) Names() []string { return slices.Clone(s.names) }

// Info describes a tensor (dtype F64).
func (s *Source) Info(name string) (safetensors.Info, bool) {
	sh, ok := s.shapes[name]
	return safetensors.Info{Name: name, DType: safetensors.F64, Shape: sh}, ok
}

// ReadFloat32 copies a tensor, rounded to float32, into dst.
func (s *Source) ReadFloat32(name string, dst []float32) error {
	v, ok := s.data[name]
	if !ok || len(v) != len(dst) {
		return fmt.Errorf("modeltest: %q absent or not %d values", name, len(dst))
	}
	for i := range v {
		dst[i] = float32(v[i])
	}
	return nil
}

// ReadFloat64 copies a tensor into dst.
func (s *Source) ReadFloat64(name string, dst []float64) error {
	v, ok := s.data[name]
	if !ok || len(v) != len(dst) {
		return fmt.Errorf("modeltest: %q absent or not %d values", name, len(dst))
	}
	copy(dst, v)
	return nil
}

// Model parses a YAML config and builds its random float32 model.
func Model(yaml string, seed uint64) (*model.Model[float32], error) {
	cfg, err := model.ParseConfigYAML([]byte(yaml))
	if err != nil {
		return nil, err
	}
	src, err := Random(cfg, seed)
	if err != nil {
		return nil, err
	}
	return model.New[float32](cfg, src)
}

// WriteBundle writes the random model of a YAML config as a bundle in dir
// (which must not exist) with the byte tokenizer. dtype is F32, F16, BF16,
// Q8 or Q4, applied per tensor as cmd/convert does (bundle.Policy, group 32).
func WriteBundle(dir, yaml string, seed uint64, dtype string) error {
	cfg, err := model.ParseConfigYAML([]byte(yaml))
	if err != nil {
		return err
	}
	src, err := Random(cfg, seed)
	if err != nil {
		return err
	}
	w, err := bundle.Create(dir, bundle.Model{Family: cfg.Family.String(), ConfigFormat: "yaml", Config: yaml}, bundle.Options{DType: dtype})
	if err != nil {
		return err
	}
	if err := w.SetTokenizer(&bundle.Tokenizer{Type: "byte"}); err != nil {
		w.Abort()
		return err
	}
	for _, name := range src.names {
		if err := addTensor(w, name, src.shapes[name], src.data[name], dtype); err != nil {
			w.Abort()
			return fmt.Errorf("modeltest: %s: %w", name, err)
		}
	}
	return w.Close()
}

const group = 32

func addTensor(w *bundle.Writer, name string, shape []int, v []float64, dtype string) error {
	x := make([]float32, len(v))
	for i := range v {
		x[i] = float32(v[i])
	}
	dtype, g := bundle.Policy(name, shape, strings.ToLower(dtype), group)
	if k, ok := quant.ParseKind(dtype); ok {
		codes := make([]byte, k.CodeBytes(len(x)))
		scales := make([]byte, 2*(len(x)/g))
		if err := quant.Quantize(k, x, g, codes, scales); err != nil {
			return err
		}
		return w.Add(name, dtype, shape, g, append(codes, scales...))
	}
	b := make([]byte, quant.ElemSize(dtype)*len(x))
	if err := quant.EncodeFloat32(dtype, x, b); err != nil {
		return err
	}
	return w.Add(name, dtype, shape, 0, b)
}

// Rounded returns a copy of s whose values are what a bundle of dtype
// stores (per bundle.Policy, group 32), read back as float64: the model it
// builds is exactly the one WriteBundle's bundle loads.
func (s *Source) Rounded(dtype string) (*Source, error) {
	r := &Source{names: slices.Clone(s.names), shapes: s.shapes, data: map[string][]float64{}}
	for _, name := range s.names {
		v, shape := s.data[name], s.shapes[name]
		x := make([]float32, len(v))
		for i := range v {
			x[i] = float32(v[i])
		}
		dt, g := bundle.Policy(name, shape, strings.ToLower(dtype), group)
		if k, ok := quant.ParseKind(dt); ok {
			codes := make([]byte, k.CodeBytes(len(x)))
			scales := make([]byte, 2*(len(x)/g))
			if err := quant.Quantize(k, x, g, codes, scales); err != nil {
				return nil, err
			}
			if err := quant.Dequantize(k, codes, scales, g, x); err != nil {
				return nil, err
			}
		} else {
			b := make([]byte, quant.ElemSize(dt)*len(x))
			if err := quant.EncodeFloat32(dt, x, b); err != nil {
				return nil, err
			}
			if err := quant.DecodeFloat32(dt, b, x); err != nil {
				return nil, err
			}
		}
		out := make([]float64, len(x))
		for i := range x {
			out[i] = float64(x[i])
		}
		r.data[name] = out
	}
	return r, nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
