package model

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
)

// benchModel builds a float32 model with random weights for one of the
// shared benchmark configs (../shared/bench/<name>.yaml).
func benchModel(b *testing.B, name string) *Model[float32] {
	b.Helper()
	dir := testref.Dir(b, "bench")
	data, err := os.ReadFile(filepath.Join(dir, name+".yaml"))
	if err != nil {
		b.Fatal(err)
	}
	cfg := mustParseYAML(b, string(data))
	return mustModel[float32](b, cfg, randomSource(b, cfg, 1))
}

// benchDecode measures Step: one token at a time, tokens/s reported.
func benchDecode(b *testing.B, name string, threads int) {
	m := benchModel(b, name)
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
	m := benchModel(b, name)
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

func BenchmarkDecodeBenchSmall(b *testing.B)      { benchDecode(b, "bench-small", 1) }
func BenchmarkFullS256BenchSmall(b *testing.B)    { benchFull(b, "bench-small", 256, false) }
func BenchmarkDecodeBenchLarge(b *testing.B)      { benchDecode(b, "bench-large", 1) }
func BenchmarkDecodeBenchLarge2T(b *testing.B)    { benchDecode(b, "bench-large", 2) }
func BenchmarkPrefillS512BenchLarge(b *testing.B) { benchFull(b, "bench-large", 512, true) }
func BenchmarkDecodeBenchSmall2T(b *testing.B)    { benchDecode(b, "bench-small", 2) }
