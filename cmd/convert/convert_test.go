package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/quant"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// TestReferenceF32: every reference set converted to f32, from
// state_dict.pt and from model.safetensors, gives bundles whose
// generate -dump-logits output matches the official logits to 1e-4
// (logits_parallel for the original LM, logits_chunkwise for xLSTM Large).
func TestReferenceF32(t *testing.T) {
	bin := buildGenerate(t)
	for _, set := range testref.ReferenceSets() {
		ref := loadReference(t, set)
		for _, src := range []string{"state_dict.pt", "model.safetensors"} {
			dir := mustConvert(t, filepath.Join(ref.dir, src), "-dtype", "f32")
			var got [][]float32
			for _, seq := range ref.tokens {
				got = append(got, dumpLogits(t, bin, dir, seq))
			}
			maxAbs, top1 := compare(got, ref.logits, ref.vocab)
			t.Logf("%s from %s: f32 bundle max abs %.3g vs reference, top-1 %.0f%%", set, src, maxAbs, 100*top1)
			if maxAbs > 1e-4 {
				t.Errorf("%s from %s: max abs %.3g > 1e-4", set, src, maxAbs)
			}
		}
	}
}

// TestRoundTrip: converting a bundle again with the same settings gives
// byte-identical shards and manifest.
func TestRoundTrip(t *testing.T) {
	ref := loadReference(t, "mixed")
	for _, dt := range []string{"f32", "q8", "q4"} {
		a := mustConvert(t, filepath.Join(ref.dir, "state_dict.pt"), "-dtype", dt, "-shard-size", "64KiB")
		b := mustConvert(t, a, "-dtype", dt, "-shard-size", "64KiB")
		ea, _ := os.ReadDir(a)
		eb, _ := os.ReadDir(b)
		if len(ea) != len(eb) || len(ea) < 3 { // manifest + at least two shards
			t.Fatalf("%s: %d files vs %d", dt, len(ea), len(eb))
		}
		for _, e := range ea {
			x, _ := os.ReadFile(filepath.Join(a, e.Name()))
			y, err := os.ReadFile(filepath.Join(b, e.Name()))
			if err != nil || !bytes.Equal(x, y) {
				t.Fatalf("%s: %s differs after a round trip (%v)", dt, e.Name(), err)
			}
		}
	}
}

// writeST writes tensors (read from src, renamed by rename, split into
// shards files with a Hugging Face index when shards > 1) into dir, in
// dtype.
func writeST(t *testing.T, src string, dir string, shards int, dtype safetensors.DType, rename func(string) string) {
	t.Helper()
	f, err := safetensors.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	os.MkdirAll(dir, 0o755)
	parts := make([][]safetensors.Tensor, shards)
	index := map[string]string{}
	for i, n := range f.Names() {
		v, _ := f.Float32(n)
		info, _ := f.Info(n)
		raw := make([]byte, len(v)*dtype.Size())
		if err := quant.EncodeFloat32(string(dtype), v, raw); err != nil {
			t.Fatal(err)
		}
		name := rename(n)
		parts[i%shards] = append(parts[i%shards], safetensors.Tensor{Name: name, DType: dtype, Shape: info.Shape, Data: raw})
		index[name] = shardName(i%shards, shards)
	}
	for i, p := range parts {
		if err := safetensors.WriteFile(filepath.Join(dir, shardName(i, shards)), p, nil); err != nil {
			t.Fatal(err)
		}
	}
	if shards > 1 {
		b, _ := json.Marshal(map[string]any{"metadata": map[string]string{}, "weight_map": index})
		os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), b, 0o644)
	}
}

func shardName(i, n int) string {
	if n == 1 {
		return "model.safetensors"
	}
	return "model-0000" + string(rune('1'+i)) + "-of-0000" + string(rune('0'+n)) + ".safetensors"
}

// hfName renames an official xLSTM Large tensor as transformers does.
func hfName(n string) string {
	n = strings.Replace(n, "embedding.weight", "backbone.embeddings.weight", 1)
	for _, r := range [][2]string{{".q.", ".query."}, {".k.", ".key."}, {".v.", ".value."}} {
		n = strings.Replace(n, r[0], r[1], 1)
	}
	return n
}

// TestOtherLayouts: HF names in a sharded checkpoint, fused weights split
// for a single-mode config, single weights fused for a fused-mode config,
// BF16/F16 inputs and wrapper prefixes all convert to bundles that load and
// reproduce the reference (to the input's rounding).
func TestOtherLayouts(t *testing.T) {
	ref := loadReference(t, "xlstm_large")
	cfgYAML, err := os.ReadFile(filepath.Join(ref.dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fusedCfg := filepath.Join(t.TempDir(), "fused.yaml")
	os.WriteFile(fusedCfg, bytes.Replace(cfgYAML, []byte("weight_mode: single"), []byte("weight_mode: fused"), 1), 0o644)
	if bytes.Equal(cfgYAML, mustRead(t, fusedCfg)) {
		t.Fatal("config.yaml has no weight_mode: single")
	}
	hf := filepath.Join(t.TempDir(), "hf")
	writeST(t, filepath.Join(ref.dir, "model.safetensors"), hf, 3, safetensors.F32, hfName)
	os.WriteFile(filepath.Join(hf, "config.yaml"), cfgYAML, 0o644)
	bf := filepath.Join(t.TempDir(), "bf16")
	writeST(t, filepath.Join(ref.dir, "model.safetensors"), bf, 2, safetensors.BF16, func(n string) string { return "_orig_mod." + hfName(n) })
	os.WriteFile(filepath.Join(bf, "config.yaml"), cfgYAML, 0o644)
	cases := []struct {
		name string
		args []string
		tol  float64
	}{
		{"HF names, 3 shards + index", []string{"-in", hf}, 1e-4},
		{"fused weights, single config", []string{"-in", filepath.Join(ref.dir, "model_fused.safetensors")}, 1e-4},
		{"single weights, fused config", []string{"-in", filepath.Join(ref.dir, "state_dict.pt"), "-config", fusedCfg}, 1e-4},
		{"BF16 input, torch.compile prefix", []string{"-in", bf}, 2},
	}
	for _, c := range cases {
		out := filepath.Join(t.TempDir(), "b")
		if log, err := convertCmd(append(c.args, "-out", out)...); err != nil {
			t.Fatalf("%s: %v\n%s", c.name, err, log)
		}
		maxAbs, top1 := compare(forward(t, out, ref), ref.logits, ref.vocab)
		t.Logf("%s: max abs %.3g, top-1 %.0f%%", c.name, maxAbs, 100*top1)
		if maxAbs > c.tol {
			t.Errorf("%s: max abs %.3g > %g", c.name, maxAbs, c.tol)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSLSTMCudaLayout: an sLSTM checkpoint in the cuda backend's layout
// (SPEC §5.3) is re-ordered to the vanilla layout and reproduces the
// reference.
func TestSLSTMCudaLayout(t *testing.T) {
	ref := loadReference(t, "slstm_only")
	f, err := safetensors.Open(filepath.Join(ref.dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := model.LoadConfig(ref.dir)
	if err != nil {
		t.Fatal(err)
	}
	nh, dh := cfg.LM.SLSTM.NumHeads, cfg.LM.SLSTM.HeadDim
	var ts []safetensors.Tensor
	for _, n := range f.Names() {
		v, _ := f.Float32(n)
		info, _ := f.Info(n)
		shape := info.Shape
		switch {
		case strings.HasSuffix(n, "_recurrent_kernel_"): // vanilla (NH,4DH,DH) → cuda (NH,DH,4DH)
			out := make([]float32, len(v))
			for h := 0; h < nh; h++ {
				for gj := 0; gj < 4*dh; gj++ {
					for k := 0; k < dh; k++ {
						out[h*dh*4*dh+k*4*dh+gj] = v[h*4*dh*dh+gj*dh+k]
					}
				}
			}
			v, shape = out, []int{nh, dh, 4 * dh}
		case strings.HasSuffix(n, "_bias_"): // gate-major → head-major
			out := make([]float32, len(v))
			for h := 0; h < nh; h++ {
				for g := 0; g < 4; g++ {
					for j := 0; j < dh; j++ {
						out[h*4*dh+g*dh+j] = v[g*nh*dh+h*dh+j]
					}
				}
			}
			v = out
		}
		ts = append(ts, safetensors.F32Tensor(n, shape, v))
	}
	dir := t.TempDir()
	safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), ts, nil)
	os.WriteFile(filepath.Join(dir, "config.yaml"), mustRead(t, filepath.Join(ref.dir, "config.yaml")), 0o644)
	out := mustConvert(t, dir)
	maxAbs, _ := compare(forward(t, out, ref), ref.logits, ref.vocab)
	if maxAbs > 1e-4 {
		t.Fatalf("cuda layout: max abs %.3g", maxAbs)
	}
}

// TestCorruptShard: a bundle with a changed byte in one shard is refused
// by the loader and by -verify, naming the shard.
func TestCorruptShard(t *testing.T) {
	ref := loadReference(t, "mixed")
	dir := mustConvert(t, filepath.Join(ref.dir, "state_dict.pt"), "-shard-size", "128KiB")
	if log, err := convertCmd("-verify", dir); err != nil || !strings.HasPrefix(log, "ok:") {
		t.Fatalf("verify of a good bundle: %v %s", err, log)
	}
	r, err := bundle.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	shard := r.Manifest().Shards[1].File
	p := filepath.Join(dir, shard)
	data := mustRead(t, p)
	data[100] ^= 0x40
	os.WriteFile(p, data, 0o644)
	if _, err := model.Load[float32](dir); err == nil || !strings.Contains(err.Error(), shard) {
		t.Fatalf("load of a corrupted bundle: %v (want an error naming %s)", err, shard)
	}
	if _, err := convertCmd("-verify", dir); err == nil || !strings.Contains(err.Error(), shard) {
		t.Fatalf("verify of a corrupted bundle: %v", err)
	}
	if _, err := convertCmd("-in", dir, "-out", filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), shard) {
		t.Fatalf("convert from a corrupted bundle: %v", err)
	}
}

// TestInspect prints config, tensors and totals for each input kind.
func TestInspect(t *testing.T) {
	ref := loadReference(t, "mixed")
	dir := mustConvert(t, filepath.Join(ref.dir, "state_dict.pt"), "-dtype", "q4", "-tokenizer", "byte")
	for _, in := range []string{filepath.Join(ref.dir, "state_dict.pt"), filepath.Join(ref.dir, "model.safetensors"), ref.dir, dir} {
		out, err := convertCmd("-inspect", in)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"config: xlstm-lm", "xlstm_block_stack.blocks.0.xlstm.proj_up.weight", "total: 44 tensors, 110288 parameters", "check: tensors match"} {
			if !strings.Contains(out, want) {
				t.Fatalf("inspect %s: no %q in\n%s", in, want, out)
			}
		}
		if in == dir && (!strings.Contains(out, "Q4 g64") || !strings.Contains(out, "tokenizer byte")) {
			t.Fatalf("inspect bundle:\n%s", out)
		}
	}
}

// TestTokenizer: -tokenizer FILE stores the file, byte records the byte
// tokenizer, and a bundle passes its tokenizer on.
func TestTokenizer(t *testing.T) {
	ref := loadReference(t, "mixed")
	tok := filepath.Join(t.TempDir(), "tokenizer.json")
	os.WriteFile(tok, []byte(`{"version":"1.0","model":{"type":"BPE"}}`), 0o644)
	a := mustConvert(t, filepath.Join(ref.dir, "state_dict.pt"), "-tokenizer", tok)
	b := mustConvert(t, a)
	for _, d := range []string{a, b} {
		r, err := bundle.Open(d)
		if err != nil {
			t.Fatal(err)
		}
		data, err := r.TokenizerFile()
		if err != nil || !bytes.Equal(data, mustRead(t, tok)) {
			t.Fatalf("tokenizer %q, %v", data, err)
		}
	}
	os.WriteFile(tok, []byte("not json"), 0o644)
	if _, err := convertCmd("-in", filepath.Join(ref.dir, "state_dict.pt"), "-out", filepath.Join(t.TempDir(), "x"), "-tokenizer", tok); err == nil {
		t.Fatal("a non-JSON tokenizer was accepted")
	}
}

// TestInterrupted: a cancelled conversion leaves nothing behind.
func TestInterrupted(t *testing.T) {
	ref := loadReference(t, "mixed")
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr bytes.Buffer
	err := run(ctx, []string{"-in", filepath.Join(ref.dir, "state_dict.pt"), "-out", filepath.Join(parent, "b")}, &stderr, &stderr)
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("error %v", err)
	}
	noLeftovers(t, parent)
}

// TestProgressBar: the terminal progress bar path runs.
func TestProgressBar(t *testing.T) {
	ref := loadReference(t, "mixed")
	on := true
	o := &options{in: filepath.Join(ref.dir, "state_dict.pt"), out: filepath.Join(t.TempDir(), "b"), dtype: "q8", group: 64, shardSize: bundle.DefaultShardSize, progress: &on}
	var stderr bytes.Buffer
	if _, err := convert(context.Background(), o, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "converting") {
		t.Fatalf("no progress bar in %q", stderr.String())
	}
	_ = math.Abs
}
