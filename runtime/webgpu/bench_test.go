package webgpu

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/sample"
)

// benchEngine loads a shared benchmark config (../shared/bench/<name>.yaml)
// with random float32 weights onto the device.
func benchEngine(b *testing.B, name string) *Engine { return benchEngineT(b, name) }

func benchEngineT(b testing.TB, name string) *Engine {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(testref.Dir(b, "bench"), name+".yaml"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := model.ParseConfigYAML(data)
	if err != nil {
		b.Fatal(err)
	}
	src, err := modeltest.Random(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	m, err := model.New[float32](cfg, src)
	if err != nil {
		b.Fatal(err)
	}
	e, err := NewEngineModel(testDevice(b), m, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

// benchDecode measures greedy decoding: per token one submission (the
// step, argmax on the device) and a 4-byte read back.
func benchDecode(b *testing.B, name string) {
	e := benchEngine(b, name)
	s, _ := e.NewSession()
	defer s.Close()
	smp, _ := sample.New(sample.Params{}, e.Config().VocabSize)
	if err := s.Prefill(context.Background(), []int{1, 2, 3}); err != nil {
		b.Fatal(err)
	}
	tok, err := s.Sample(smp)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Step(tok); err != nil {
			b.Fatal(err)
		}
		if tok, err = s.Sample(smp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}

// benchPrefill measures prefill of n tokens from a zero state.
func benchPrefill(b *testing.B, name string, n int) {
	e := benchEngine(b, name)
	s, _ := e.NewSession()
	defer s.Close()
	toks := testTokens(n, e.Config().VocabSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Reset()
		if err := s.Prefill(context.Background(), toks); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Logits(); err != nil { // waits for the device
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "tok/s")
}

func BenchmarkDecodeSmall(b *testing.B)  { benchDecode(b, "bench-small") }
func BenchmarkDecodeLarge(b *testing.B)  { benchDecode(b, "bench-large") }
func BenchmarkPrefillSmall(b *testing.B) { benchPrefill(b, "bench-small", 256) }
func BenchmarkPrefillLarge(b *testing.B) { benchPrefill(b, "bench-large", 512) }
