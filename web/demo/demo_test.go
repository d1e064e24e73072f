package demo

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/sample"
)

// bundleFiles writes a random bundle and reads it back as the page would
// hand it over: manifest.json plus the files Files lists.
func bundleFiles(t testing.TB, yaml, dtype string) MemFS {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "b")
	if err := modeltest.WriteBundle(dir, yaml, 3, dtype); err != nil {
		t.Fatal(err)
	}
	man, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Files(man)
	if err != nil {
		t.Fatal(err)
	}
	m := MemFS{"manifest.json": man}
	for _, f := range files {
		if m[f.Name], err = os.ReadFile(filepath.Join(dir, f.Name)); err != nil {
			t.Fatal(err)
		}
		if int64(len(m[f.Name])) != f.Size {
			t.Fatalf("%s: %d bytes, manifest says %d", f.Name, len(m[f.Name]), f.Size)
		}
	}
	return m
}

func load(t testing.TB, fsys MemFS) *Demo {
	t.Helper()
	d, err := Load(fsys, LoadOptions{Backend: BackendCPU})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func gen(t testing.TB, d *Demo, req Request) ([]int, string, Stats) {
	t.Helper()
	var ids []int
	var text strings.Builder
	st, err := d.Generate(context.Background(), req, func(tok Token) error {
		ids = append(ids, tok.ID)
		text.WriteString(tok.Text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, text.String(), st
}

// reference runs the model directly, as cmd/generate does: prefill, then
// sample and step.
func reference(t testing.TB, fsys MemFS, prompt []int, p sample.Params, n int) []int {
	t.Helper()
	b, err := engine.LoadBundle(fsys)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Model.Close()
	m := b.Model
	st := m.NewState()
	logits := make([]float32, m.Config().VocabSize)
	if err := m.Prefill(st, prompt, logits); err != nil {
		t.Fatal(err)
	}
	smp, err := sample.New(p, len(logits))
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for range n {
		id, err := smp.Next(logits)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
		if err := m.Step(st, id, logits); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

var paramSets = []struct {
	name string
	p    sample.Params
}{
	{"greedy", sample.Params{}},
	{"seeded", sample.Params{Temperature: 1.1, TopK: 40, TopP: 0.95, Seed: 42}},
}

func TestGenerateMatchesReference(t *testing.T) {
	for _, cfg := range []struct{ name, yaml, dtype string }{
		{"lm-f32", modeltest.TinyLM, "F32"},
		{"large-q8", modeltest.TinyLarge, "Q8"},
	} {
		fsys := bundleFiles(t, cfg.yaml, cfg.dtype)
		d := load(t, fsys)
		for _, ps := range paramSets {
			t.Run(cfg.name+"/"+ps.name, func(t *testing.T) {
				ids, text, st := gen(t, d, Request{Prompt: "Hello, xLSTM", Params: ps.p, MaxTokens: 24, IgnoreEOS: true})
				prompt := d.Tokenizer().Encode("Hello, xLSTM")
				if !slices.Equal(st.PromptTokens, prompt) {
					t.Fatalf("prompt tokens %v, want %v", st.PromptTokens, prompt)
				}
				want := reference(t, fsys, prompt, ps.p, 24)
				if !slices.Equal(ids, want) {
					t.Fatalf("tokens\n got %v\nwant %v", ids, want)
				}
				if got, want := text+st.Tail, d.Tokenizer().Decode(ids); got != want {
					t.Errorf("streamed text %q, want %q", got, want)
				}
				if st.Tokens != 24 || st.Finish != engine.FinishLength || st.Pos != len(prompt)+23 {
					t.Errorf("stats %+v", st)
				}
			})
		}
	}
}

// TestSplitGenerations checks that N tokens, then (maybe after a save, a
// fresh page and a restore) M more, are the N+M tokens of one generation.
func TestSplitGenerations(t *testing.T) {
	fsys := bundleFiles(t, modeltest.TinyLM, "F32")
	for _, ps := range paramSets {
		for _, mode := range []string{"continue", "save-restore", "stop-save-restore"} {
			t.Run(ps.name+"/"+mode, func(t *testing.T) {
				whole, _, _ := gen(t, load(t, fsys), Request{Prompt: "abc", Params: ps.p, MaxTokens: 30, IgnoreEOS: true})
				d := load(t, fsys)
				var first []int
				switch mode {
				case "stop-save-restore":
					// Stop (the page's button) after 12 tokens.
					ctx, cancel := context.WithCancel(context.Background())
					st, err := d.Generate(ctx, Request{Prompt: "abc", Params: ps.p, MaxTokens: 100, IgnoreEOS: true}, func(tok Token) error {
						first = append(first, tok.ID)
						if len(first) == 12 {
							cancel()
						}
						return nil
					})
					cancel()
					if err != nil || st.Finish != "cancelled" || st.Tokens != 12 {
						t.Fatalf("stopped generation: %+v, %v", st, err)
					}
				default:
					first, _, _ = gen(t, d, Request{Prompt: "abc", Params: ps.p, MaxTokens: 12, IgnoreEOS: true})
				}
				if mode != "continue" {
					rec, err := d.Save()
					if err != nil {
						t.Fatal(err)
					}
					d = load(t, fsys) // a reloaded page
					saved, err := d.Restore(rec)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(saved.IDs, first) || saved.Params != ps.p {
						t.Fatalf("restored %+v", saved)
					}
				}
				rest, _, _ := gen(t, d, Request{Continue: true, Params: ps.p, MaxTokens: 18, IgnoreEOS: true})
				if got := append(first, rest...); !slices.Equal(got, whole) {
					t.Errorf("split\n got %v\nwant %v", got, whole)
				}
			})
		}
	}
}

func TestRestoreRejects(t *testing.T) {
	d := load(t, bundleFiles(t, modeltest.TinyLM, "F32"))
	gen(t, d, Request{Prompt: "x", MaxTokens: 3})
	good, err := d.Save()
	if err != nil {
		t.Fatal(err)
	}
	other := load(t, bundleFiles(t, modeltest.TinyLarge, "F32"))
	if _, err := other.Restore(good); err == nil {
		t.Error("a record of another model was accepted")
	}
	cut := func(n int) []byte { return good[:n] }
	for _, tt := range []struct {
		name string
		rec  []byte
		want string
	}{
		{"empty", nil, "bad header"},
		{"magic", []byte("something else entirely"), "bad header"},
		{"short meta", cut(len(recordMagic) + 10), "claims"},
		{"short state", cut(len(good) - 5), "restore"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Restore(tt.rec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	// The conversation survived the failed restores.
	if _, err := d.Save(); err != nil {
		t.Errorf("save after failed restores: %v", err)
	}
}

func TestCorruptedShardNamed(t *testing.T) {
	fsys := bundleFiles(t, modeltest.TinyLM, "F32")
	man := fsys["manifest.json"]
	files, _ := Files(man)
	bad := slices.Clone(fsys[files[0].Name])
	bad[len(bad)/2] ^= 1
	fsys[files[0].Name] = bad
	for _, verify := range []bool{false, true} {
		_, err := Load(fsys, LoadOptions{Backend: BackendCPU, Verify: verify})
		if err == nil || !strings.Contains(err.Error(), files[0].Name) {
			t.Errorf("verify %v: error %v, want one naming %s", verify, err, files[0].Name)
		}
		if verify && strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("verify %v: error has several lines: %v", verify, err)
		}
	}
}

func TestBackendChoice(t *testing.T) {
	fsys := bundleFiles(t, modeltest.TinyLM, "F32")
	fakeGPU := func(b *engine.Bundle, _ fs.FS) (engine.Engine, error) { return gpuEngine{engine.NewCPU(b.Model)}, nil }
	brokenGPU := func(*engine.Bundle, fs.FS) (engine.Engine, error) { return nil, errors.New("no shader-f16") }
	tests := []struct {
		name    string
		opts    LoadOptions
		backend string
		reason  string // part of the reason, or of the error when backend is ""
	}{
		{"cpu forced", LoadOptions{Backend: "cpu", OpenGPU: fakeGPU}, "cpu", "forced by ?backend=cpu"},
		{"auto, no gpu in build", LoadOptions{Backend: "auto"}, "cpu", "not available in this build"},
		{"auto, no gpu in browser", LoadOptions{Backend: "auto", NoGPU: "WebGPU not available in this browser", OpenGPU: fakeGPU}, "cpu", "not available in this browser"},
		{"auto, gpu fails", LoadOptions{Backend: "auto", OpenGPU: brokenGPU}, "cpu", "WebGPU failed: no shader-f16"},
		{"auto, gpu", LoadOptions{Backend: "", GPU: "SwiftShader", OpenGPU: fakeGPU}, "webgpu", "SwiftShader"},
		{"webgpu forced", LoadOptions{Backend: "webgpu", OpenGPU: fakeGPU}, "webgpu", "forced"},
		{"webgpu forced, none in browser", LoadOptions{Backend: "webgpu", NoGPU: "no adapter", OpenGPU: fakeGPU}, "", "cannot run: no adapter"},
		{"webgpu forced, none in build", LoadOptions{Backend: "webgpu"}, "", "not available in this build"},
		{"webgpu forced, fails", LoadOptions{Backend: "webgpu", OpenGPU: brokenGPU}, "", "failed: no shader-f16"},
		{"unknown", LoadOptions{Backend: "tpu"}, "", `backend "tpu"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load(fsys, tt.opts)
			if tt.backend == "" {
				if err == nil || !strings.Contains(err.Error(), tt.reason) {
					t.Fatalf("error %v, want one containing %q", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			info := d.Info()
			if info.Backend != tt.backend || !strings.Contains(info.Reason, tt.reason) {
				t.Errorf("backend %q (%q), want %q (containing %q)", info.Backend, info.Reason, tt.backend, tt.reason)
			}
		})
	}
}

type gpuEngine struct{ *engine.CPU }

func (gpuEngine) Backend() string { return "webgpu" }

func TestInfo(t *testing.T) {
	fsys := bundleFiles(t, modeltest.TinyLM, "Q8")
	info := load(t, fsys).Info()
	cfg, _ := model.ParseConfigYAML([]byte(modeltest.TinyLM))
	specs, err := model.Tensors(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(0)
	for _, ti := range specs {
		n := int64(1)
		for _, s := range ti.Shape {
			n *= int64(s)
		}
		want += n
	}
	m, _ := modeltest.Model(modeltest.TinyLM, 3)
	st, _ := m.NewState().MarshalBinary()
	if info.Params != want || info.DType != "Q8" || info.StateBytes != len(st) || info.VocabSize != 260 || info.StoredBytes <= 0 || info.Tokenizer != "byte" {
		t.Errorf("info %+v (want %d params, %d state bytes)", info, want, len(st))
	}
}

func TestLogitsMatchForward(t *testing.T) {
	fsys := bundleFiles(t, modeltest.TinyLarge, "F32")
	d := load(t, fsys)
	tokens := []int{1, 7, 200, 33, 33, 9, 0, 259, 5, 12}
	got, err := d.Logits(tokens)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := modeltest.Model(modeltest.TinyLarge, 3)
	want, err := m.Forward(tokens)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d logits, want %d", len(got), len(want))
	}
	var worst float64
	for i := range got {
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
	}
	if worst > 1e-4 {
		t.Errorf("max |step - forward| = %g, want ≤ 1e-4", worst)
	}
	if _, err := d.Logits([]int{1, 260}); err == nil {
		t.Error("token 260 of a 260-token vocabulary was accepted")
	}
}

func TestGenerateRejects(t *testing.T) {
	d := load(t, bundleFiles(t, modeltest.TinyLM, "F32"))
	for _, tt := range []struct {
		name string
		req  Request
		want string
	}{
		{"continue first", Request{Continue: true, MaxTokens: 3}, "nothing to continue"},
		{"no tokens", Request{Prompt: "x"}, "max tokens 0"},
		{"bad params", Request{Prompt: "x", MaxTokens: 2, Params: sample.Params{TopP: 2}}, "top-p"},
		{"bad token", Request{Tokens: []int{3, -1}, MaxTokens: 2}, "id -1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Generate(context.Background(), tt.req, func(Token) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := d.Save(); err == nil {
		t.Error("save before any generation: no error")
	}
}
