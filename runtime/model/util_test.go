package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// memSource is an in-memory Source for tests.
type memSource struct {
	names  []string
	shapes map[string][]int
	data   map[string][]float64
}

func newMemSource() *memSource {
	return &memSource{shapes: map[string][]int{}, data: map[string][]float64{}}
}

func (s *memSource) put(name string, shape []int, v []float64) {
	if _, ok := s.data[name]; !ok {
		s.names = append(s.names, name)
	}
	s.shapes[name], s.data[name] = shape, v
}

func (s *memSource) del(name string) {
	s.names = slices.DeleteFunc(s.names, func(n string) bool { return n == name })
	delete(s.shapes, name)
	delete(s.data, name)
}

func (s *memSource) Names() []string { return slices.Sorted(slices.Values(s.names)) }

func (s *memSource) Info(name string) (safetensors.Info, bool) {
	sh, ok := s.shapes[name]
	return safetensors.Info{Name: name, DType: safetensors.F64, Shape: sh}, ok
}

func (s *memSource) ReadFloat32(name string, dst []float32) error {
	v, ok := s.data[name]
	if !ok || len(v) != len(dst) {
		return fmt.Errorf("memSource: %q absent or wrong length", name)
	}
	for i := range v {
		dst[i] = float32(v[i])
	}
	return nil
}

func (s *memSource) ReadFloat64(name string, dst []float64) error {
	v, ok := s.data[name]
	if !ok || len(v) != len(dst) {
		return fmt.Errorf("memSource: %q absent or wrong length", name)
	}
	copy(dst, v)
	return nil
}

// randomSource fills every tensor of cfg with seeded Gaussian noise scaled
// by 1/sqrt(fan-in), gate biases spread so both stabiliser branches occur.
func randomSource(t testing.TB, cfg *Config, seed uint64) *memSource {
	t.Helper()
	specs, err := Tensors(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	src := newMemSource()
	for _, sp := range specs {
		n := 1
		for _, d := range sp.Shape {
			n *= d
		}
		std := 0.5
		if len(sp.Shape) >= 2 {
			std = 1 / math.Sqrt(float64(sp.Shape[len(sp.Shape)-1]))
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64() * std
		}
		src.put(sp.Name, sp.Shape, v)
	}
	return src
}

func mustParseYAML(t testing.TB, y string) *Config {
	t.Helper()
	cfg, err := ParseConfigYAML([]byte(y))
	if err != nil {
		t.Fatalf("parse config: %v\n%s", err, y)
	}
	return cfg
}

func mustModel[F Float](t testing.TB, cfg *Config, src Source) *Model[F] {
	t.Helper()
	m, err := New[F](cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomTokens(n, vocab int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]int, n)
	for i := range out {
		out[i] = rng.IntN(vocab)
	}
	return out
}

// Small configs of both families covering the shapes the references do
// not: no conv, one head, odd chunk sizes, biases, fused weights, tied heads.
var testConfigs = map[string]string{
	"lm-mixed-bias-tied": `
vocab_size: 50
context_length: 40
num_blocks: 3
embedding_dim: 32
bias: true
tie_weights: true
slstm_at: [0, 2]
mlstm_block:
  mlstm:
    num_heads: 2
slstm_block:
  slstm:
    backend: vanilla
    num_heads: 2
  feedforward:
    proj_factor: 1.3
    act_fn: swish
`,
	"lm-noconv-onehead": `
vocab_size: 40
context_length: 40
num_blocks: 2
embedding_dim: 16
slstm_at: [1]
mlstm_block:
  mlstm:
    num_heads: 1
    conv1d_kernel_size: 0
slstm_block:
  slstm:
    backend: vanilla
    num_heads: 1
    conv1d_kernel_size: 0
  feedforward:
    act_fn: relu
`,
	"large-odd-chunk": `
embedding_dim: 48
num_heads: 3
num_blocks: 2
vocab_size: 70
chunk_size: 5
use_bias: true
weight_mode: single
`,
	"large-fused": `
embedding_dim: 32
num_heads: 2
num_blocks: 1
vocab_size: 30
chunk_size: 16
qk_dim_factor: 0.25
v_dim_factor: 1.5
weight_mode: fused
`,
}
