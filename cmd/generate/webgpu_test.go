package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// TestWebGPUBackend: -backend webgpu dumps the official logits of every
// reference set (1e-3) and generates the CPU backend's greedy and seeded
// tokens. Without a WebGPU adapter it fails (make test installs lavapipe).
func TestWebGPUBackend(t *testing.T) {
	for _, set := range testref.ReferenceSets() {
		dir, toks, io := refTokens(t, set)
		for _, mode := range []string{"full", "step"} {
			out := filepath.Join(t.TempDir(), "logits.safetensors")
			err := run(context.Background(), []string{"-backend", "webgpu", "-model", dir, "-tokens", toks, "-mode", mode, "-dump-logits", out}, &bytes.Buffer{}, &bytes.Buffer{})
			if err != nil {
				t.Fatalf("%s %s: %v", set, mode, err)
			}
			f, err := safetensors.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := f.Float32("logits")
			f.Close()
			key := map[string]string{"full": "logits_parallel", "step": "logits_step"}[mode]
			if set == "xlstm_large" && mode == "full" {
				key = "logits_chunkwise"
			}
			want, err := io.Float64(key)
			if err != nil {
				t.Fatal(err)
			}
			var e float64
			for i := range got {
				e = math.Max(e, math.Abs(float64(got[i])-want[i]))
			}
			if len(got) == 0 || e > 1e-3 {
				t.Errorf("%s %s: %d logits, max abs %.3e against %s", set, mode, len(got), e, key)
			}
		}
		for _, extra := range [][]string{nil, {"-temperature", "0.8", "-top-k", "5", "-seed", "3"}, {"-temperature", "1.1", "-seed", "9", "-mode", "step"}} {
			var outs [2]string
			for i, backend := range []string{"cpu", "webgpu"} {
				var stdout bytes.Buffer
				args := append([]string{"-backend", backend, "-model", dir, "-tokens", toks, "-n", "12", "-ignore-eos"}, extra...)
				if err := run(context.Background(), args, &stdout, &bytes.Buffer{}); err != nil {
					t.Fatalf("%s %s %v: %v", set, backend, extra, err)
				}
				outs[i] = stdout.String()
			}
			if outs[0] != outs[1] || len(strings.Fields(outs[0])) != 12 {
				t.Errorf("%s %v: cpu %q, webgpu %q", set, extra, outs[0], outs[1])
			}
		}
	}
	err := run(context.Background(), []string{"-backend", "gpu", "-model", "x", "-tokens", "1", "-n", "1"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `-backend "gpu"`) {
		t.Errorf("-backend gpu: %v", err)
	}
}
