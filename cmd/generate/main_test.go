package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// refTokens returns the first sequence of a reference set's tokens as the
// -tokens flag value, and the set's directory.
func refTokens(t *testing.T, set string) (dir, flagValue string, io *safetensors.File) {
	t.Helper()
	dir = testref.Dir(t, filepath.Join("xlstm", "reference", set))
	io, err := safetensors.Open(filepath.Join(dir, "io.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { io.Close() })
	toks, err := io.Int64("tokens")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := io.Info("tokens")
	parts := make([]string, info.Shape[1])
	for i := range parts {
		parts[i] = fmt.Sprint(toks[i])
	}
	return dir, strings.Join(parts, ","), io
}

// TestDumpLogits: -dump-logits in both modes reproduces the official logits
// of the first reference sequence.
func TestDumpLogits(t *testing.T) {
	for _, set := range testref.ReferenceSets() {
		dir, toks, io := refTokens(t, set)
		for _, mode := range []string{"full", "step"} {
			out := filepath.Join(t.TempDir(), "logits.safetensors")
			err := run(context.Background(), []string{"-model", dir, "-tokens", toks, "-mode", mode, "-dump-logits", out}, &bytes.Buffer{}, &bytes.Buffer{})
			if err != nil {
				t.Fatalf("%s %s: %v", set, mode, err)
			}
			f, err := safetensors.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.Float32("logits")
			if err != nil {
				t.Fatal(err)
			}
			info, _ := f.Info("logits")
			f.Close()
			key := map[string]string{"full": "logits_parallel", "step": "logits_step"}[mode]
			if set == "xlstm_large" && mode == "full" {
				key = "logits_chunkwise"
			}
			want, err := io.Float64(key)
			if err != nil {
				t.Fatal(err)
			}
			s, v := info.Shape[0], info.Shape[1]
			if len(got) != s*v || 2*s*v != len(want) {
				t.Fatalf("%s %s: logits shape %v, reference has %d values", set, mode, info.Shape, len(want))
			}
			var e float64
			for i := range got {
				e = max(e, math.Abs(float64(got[i])-want[i]))
			}
			if e > 1e-4 {
				t.Errorf("%s %s: max abs %.3e against %s", set, mode, e, key)
			}
		}
	}
}

// TestGenerateDeterministic: greedy output is the same in both modes, and
// seeded sampling repeats with the same seed.
func TestGenerateDeterministic(t *testing.T) {
	dir, toks, _ := refTokens(t, "mixed")
	gen := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"-model", dir, "-tokens", toks}, args...), &out, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out.String())
	}
	full, step := gen("-n", "12"), gen("-n", "12", "-mode", "step")
	if len(strings.Fields(full)) != 12 {
		t.Fatalf("greedy: got %q, want 12 ids", full)
	}
	if full != step {
		t.Errorf("greedy full %q differs from step %q", full, step)
	}
	a := gen("-n", "20", "-temperature", "1", "-top-k", "40", "-seed", "7")
	b := gen("-n", "20", "-temperature", "1", "-top-k", "40", "-seed", "7")
	c := gen("-n", "20", "-temperature", "1", "-top-k", "40", "-seed", "8")
	if a != b {
		t.Errorf("same seed, different tokens: %q vs %q", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 gave the same 20 tokens %q", a)
	}
}

// TestFlagErrors: bad invocations are one clear error each.
func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-tokens", "1"}, "-model"},
		{[]string{"-model", dir, "-tokens", "1,x", "-n", "1"}, "not an integer"},
		{[]string{"-model", dir, "-tokens", "1", "-mode", "fast", "-n", "1"}, "-mode"},
		{[]string{"-model", dir, "-tokens", "1"}, "nothing to do"},
		{[]string{"-model", dir, "-prompt", "hi", "-n", "1"}, "tokenizer"},
		{[]string{"-model", dir, "-tokens", "1", "-n", "1", "-temperature", "-1"}, "emperature"},
		{[]string{"-model", dir, "-tokens", "1", "-n", "1"}, dir},
		{[]string{"-model", dir, "-tokens", "1", "-n", "1", "-threads", "0"}, "-threads"},
	}
	for _, c := range cases {
		err := run(context.Background(), c.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want it to mention %q", c.args, err, c.want)
		}
	}
}

// promptDir returns a model directory with the "mixed" reference model
// (vocabulary 128) and the given tokenizer.json, or none when it is "".
func promptDir(t *testing.T, tokenizerJSON string) string {
	t.Helper()
	src, _, _ := refTokens(t, "mixed")
	dir := t.TempDir()
	for _, name := range []string{"config.yaml", "model.safetensors"} {
		if err := os.Symlink(filepath.Join(src, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if tokenizerJSON != "" {
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(tokenizerJSON), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPrompt: -prompt encodes with the directory's tokenizer.json and prints
// the generated tokens as text, the same tokens -tokens prints as ids.
func TestPrompt(t *testing.T) {
	dir := promptDir(t, `{"type": "byte"}`)
	gen := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"-model", dir}, args...), &out, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	for _, mode := range []string{"full", "step"} {
		text := gen("-prompt", "Hi there", "-n", "16", "-mode", mode, "-temperature", "0.8", "-seed", "3")
		ids := gen("-tokens", "72,105,32,116,104,101,114,101", "-n", "16", "-mode", mode, "-temperature", "0.8", "-seed", "3")
		var want strings.Builder
		for _, f := range strings.Fields(ids) {
			var id int
			if _, err := fmt.Sscan(f, &id); err != nil {
				t.Fatal(err)
			}
			want.WriteByte(byte(id))
		}
		// The byte tokenizer's decoder reads invalid UTF-8 as U+FFFD; ids
		// below 128 are ASCII.
		if got := strings.TrimSuffix(text, "\n"); got != want.String() {
			t.Errorf("%s: -prompt printed %q, -tokens gave ids %q = %q", mode, got, ids, want.String())
		}
	}
}

func TestPromptErrors(t *testing.T) {
	cases := []struct {
		tokenizer string
		args      []string
		want      string
	}{
		{"", []string{"-prompt", "hi", "-n", "1"}, "no tokenizer.json in"},
		{`{"type": "byte"}`, []string{"-prompt", "hi", "-tokens", "1", "-n", "1"}, "not both"},
		{`{"type": "bytes"}`, []string{"-prompt", "hi", "-n", "1"}, "tokenizer"},
		{`{"type": "byte"}`, []string{"-prompt", "héllo", "-n", "1"}, "outside the model's vocabulary"},
		{`{"type": "byte"}`, []string{"-prompt", "", "-n", "1"}, "no tokens"},
		{`{"type": "byte"}`, []string{"-n", "1"}, "-tokens or -prompt"},
	}
	for _, c := range cases {
		dir := promptDir(t, c.tokenizer)
		err := run(context.Background(), append([]string{"-model", dir}, c.args...), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want it to mention %q", c.args, err, c.want)
		}
	}
}
