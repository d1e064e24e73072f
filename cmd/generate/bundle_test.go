package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// writeBundle stores a reference set's weights as an f32 bundle, with the
// given tokenizer (nil for none).
func writeBundle(t *testing.T, refDir string, tk *bundle.Tokenizer) string {
	t.Helper()
	cfg, err := model.LoadConfig(refDir)
	if err != nil {
		t.Fatal(err)
	}
	y, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "bundle")
	w, err := bundle.Create(dir, bundle.Model{Family: cfg.Family.String(), ConfigFormat: "yaml", Config: string(y)}, bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := safetensors.OpenDir(refDir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, name := range src.Names() {
		info, _ := src.Info(name)
		v, err := src.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		payload := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(payload[4*i:], math.Float32bits(x))
		}
		if err := w.Add(name, bundle.F32, info.Shape, 0, payload); err != nil {
			t.Fatal(err)
		}
	}
	if tk != nil {
		if err := w.SetTokenizer(tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPromptFromBundle: -prompt uses the tokenizer the bundle carries, and
// greedy text equals the ids path on the same tokens.
func TestPromptFromBundle(t *testing.T) {
	dir, _, _ := refTokens(t, "mixed")
	b := writeBundle(t, dir, &bundle.Tokenizer{Type: "byte"})
	run1 := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"-model", b}, args...), &out, &bytes.Buffer{})
		return out.String(), err
	}
	text, err := run1("-prompt", "hello", "-n", "6", "-ignore-eos")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := run1("-tokens", "104,101,108,108,111", "-n", "6", "-ignore-eos")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, f := range strings.Fields(ids) {
		id, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("id %q: %v", f, err)
		}
		want.WriteByte(byte(id))
	}
	// The byte tokenizer decodes ids < 128 to the same bytes; ids in the
	// output are all < 128 because the model's vocabulary is.
	if strings.TrimRight(text, "\n") != strings.ToValidUTF8(want.String(), "\uFFFD") {
		t.Errorf("-prompt text %q, -tokens ids decode to %q", text, want.String())
	}
	noTok := writeBundle(t, dir, nil)
	err = run(context.Background(), []string{"-model", noTok, "-prompt", "hi", "-n", "1"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "no tokenizer") {
		t.Errorf("bundle without tokenizer: err = %v", err)
	}
}
