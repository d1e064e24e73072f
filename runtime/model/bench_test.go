package model

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/quant"
)

// benchModel builds a float32 model with random weights for one of the
// shared benchmark configs (../shared/bench/<name>.yaml). dtype "q8" or
// "q4" quantises the matrices as cmd/convert would (bundle.Policy, group
// 64) and keeps them quantised; "" keeps float32.
func benchModel(b *testing.B, name, dtype string) *Model[float32] {
	b.Helper()
	dir := testref.Dir(b, "bench")
	data, err := os.ReadFile(filepath.Join(dir, name+".yaml"))
	if err != nil {
		b.Fatal(err)
	}
	cfg := mustParseYAML(b, string(data))
	var src Source = randomSource(b, cfg, 1)
	if dtype != "" {
		src = &quantSource{memSource: src.(*memSource), dtype: dtype}
	}
	return mustModel[float32](b, cfg, src)
}

// quantSource serves a memSource's matrices quantised as a bundle of dtype
// would store them (the other tensors as they are).
type quantSource struct {
	*memSource
	dtype string
}

func (s *quantSource) Tensor(name string) (bundle.Tensor, bool) {
	shape, ok := s.shapes[name]
	if !ok {
		return bundle.Tensor{}, false
	}
	dt, group := bundle.Policy(name, shape, s.dtype, 64)
	return bundle.Tensor{Name: name, DType: dt, Shape: shape, Group: group}, true
}

func (s *quantSource) Raw(name string) ([]byte, error) {
	t, _ := s.Tensor(name)
	k, ok := quant.ParseKind(t.DType)
	if !ok {
		return nil, os.ErrInvalid
	}
	v := make([]float32, len(s.data[name]))
	for i, x := range s.data[name] {
		v[i] = float32(x)
	}
	out := make([]byte, k.Size(len(v), t.Group))
	cb := k.CodeBytes(len(v))
	return out, quant.Quantize(k, v, t.Group, out[:cb], out[cb:])
}

// benchDecode measures Step: one token at a time, tokens/s reported.
func benchDecode(b *testing.B, name, dtype string, threads int) {
	m := benchModel(b, name, dtype)
	if (dtype != "") != m.Quantized() {
		b.Fatalf("dtype %q: Quantized() = %v", dtype, m.Quantized())
	}
	m.SetThreads(threads)
	defer m.Close()
	st := m.NewState()
	logits := make([]float32, m.cfg.VocabSize)
	toks := randomTokens(1024, m.cfg.VocabSize, 2)
	// Warm up: the scratch arena sizes itself and the pool's workers park
	// and wake once, so the runtime's own caches are filled too.
	for _, tok := range toks[:16] {
		if err := m.Step(st, tok, logits); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.Step(st, toks[i%len(toks)], logits); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}

// benchFull measures the full-sequence form on s tokens.
func benchFull(b *testing.B, name string, s int, prefill bool) {
	m := benchModel(b, name, "")
	toks := randomTokens(s, m.cfg.VocabSize, 3)
	st := m.NewState()
	logits := make([]float32, m.cfg.VocabSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		if prefill {
			st.Reset()
			err = m.Prefill(st, toks, logits)
		} else {
			_, err = m.Forward(toks)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*s)/b.Elapsed().Seconds(), "tok/s")
}

func BenchmarkDecodeBenchSmall(b *testing.B)      { benchDecode(b, "bench-small", "", 1) }
func BenchmarkFullS256BenchSmall(b *testing.B)    { benchFull(b, "bench-small", 256, false) }
func BenchmarkDecodeBenchLarge(b *testing.B)      { benchDecode(b, "bench-large", "", 1) }
func BenchmarkDecodeBenchLarge2T(b *testing.B)    { benchDecode(b, "bench-large", "", 2) }
func BenchmarkDecodeBenchLargeQ8(b *testing.B)    { benchDecode(b, "bench-large", "q8", 1) }
func BenchmarkDecodeBenchLargeQ4(b *testing.B)    { benchDecode(b, "bench-large", "q4", 1) }
func BenchmarkPrefillS512BenchLarge(b *testing.B) { benchFull(b, "bench-large", 512, true) }
func BenchmarkDecodeBenchSmall2T(b *testing.B)    { benchDecode(b, "bench-small", "", 2) }
