package model

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Small configs of our own, used as bases by the tests and as fuzz seeds. The shared reference
// and bench configs are read from the shared folder when present (config_shared_test.go).
const (
	// cfgLMYAML is an original-LM config with both block kinds and an FFN.
	cfgLMYAML = `vocab_size: 100
context_length: 24
num_blocks: 4
embedding_dim: 96
slstm_at: [1, 3]
mlstm_block:
  mlstm:
    num_heads: 4
slstm_block:
  slstm:
    backend: vanilla
    num_heads: 4
  feedforward:
    act_fn: gelu
`
	// cfgMLSTMOnlyYAML is an original-LM config with mLSTM blocks only.
	cfgMLSTMOnlyYAML = `vocab_size: 50
context_length: 16
num_blocks: 2
embedding_dim: 32
mlstm_block:
  mlstm:
    num_heads: 2
`
	// cfgLargeYAML is an xLSTM Large config; cfgLargeJSON is the same as JSON.
	cfgLargeYAML = `embedding_dim: 128
num_heads: 4
num_blocks: 3
vocab_size: 256
norm_eps: 1.0e-06
mode: inference
chunk_size: 16
gate_soft_cap: 15.0
weight_mode: single
`
	cfgLargeJSON = `{"embedding_dim": 128, "num_heads": 4, "num_blocks": 3, "vocab_size": 256,
 "norm_eps": 1e-06, "mode": "inference", "chunk_size": 16, "gate_soft_cap": 15.0, "weight_mode": "single"}`
)

// cfgHF7B holds our Hugging Face style config.json of xLSTM-7B.
const cfgHF7B = "testdata/config/hf-xlstm-7b"

func cfgRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cfgParseYAML(t testing.TB, y string) *Config {
	t.Helper()
	c, err := ParseConfigYAML([]byte(y))
	if err != nil {
		t.Fatalf("ParseConfigYAML: %v\n%s", err, y)
	}
	return c
}

func cfgParseJSON(t testing.TB, j string) *Config {
	t.Helper()
	c, err := ParseConfigJSON([]byte(j))
	if err != nil {
		t.Fatalf("ParseConfigJSON: %v\n%s", err, j)
	}
	return c
}

func cfgBlockMap(c *Config) []int {
	m := make([]int, len(c.LM.BlockIsSLSTM))
	for i, s := range c.LM.BlockIsSLSTM {
		if s {
			m[i] = 1
		}
	}
	return m
}

// TestConfigDerivedSizes checks the SPEC §1 formulas on the documented examples.
func TestConfigDerivedSizes(t *testing.T) {
	for _, tc := range []struct {
		pf       float64
		d, m     int
		up, want int
	}{
		{2.0, 48, 64, 1, 128}, {2.0, 64, 64, 1, 128}, {1.3, 64, 64, 1, 128}, {1.3, 32, 64, 1, 64},
		{1.3, 256, 64, 1, 384}, {2.0, 256, 64, 1, 512},
		{1.3, 256, 64, 0, 320}, {2.0, 48, 64, 0, 64}, {1.3, 32, 64, 0, 0}, // the floor branch
		{1.5, 10, 7, 1, 21}, {2.0, 48, 1, 1, 96},
	} {
		got, ok := upProjDim(tc.pf, tc.d, tc.m, tc.up == 1)
		if !ok || got != tc.want {
			t.Errorf("upProjDim(%v, %d, %d, %v) = %d, %v; want %d", tc.pf, tc.d, tc.m, tc.up == 1, got, ok, tc.want)
		}
	}
	if _, ok := upProjDim(2, 64, 0, true); ok {
		t.Error("upProjDim with multiple 0 succeeded")
	}
	for _, tc := range []struct {
		d       int
		f       float64
		m, want int
	}{
		{64, 2.6667, 64, 192}, {4096, 2.6667, 64, 10944}, {4096, 2.667, 64, 10944}, {512, 2.6667, 64, 1408},
		{48, 2.6667, 64, 128}, {64, 1.0, 64, 64}, {100, 1.0, 1, 100},
	} {
		got, ok := largeFFNDim(tc.d, tc.f, tc.m)
		if !ok || got != tc.want {
			t.Errorf("largeFFNDim(%d, %v, %d) = %d, %v; want %d", tc.d, tc.f, tc.m, got, ok, tc.want)
		}
	}
	// Python float floor division, values printed by CPython.
	for _, tc := range []struct{ a, b, want float64 }{
		{7, 2, 3}, {-7, 2, -4}, {7, -2, -4}, {-7, -2, 3}, {6, 3, 2}, {0.1, 0.01, 10}, {1, 0.1, 9}, {0.7, 0.1, 6}, {233.0, 64, 3},
	} {
		if got := pyFloorDiv(tc.a, tc.b); got != tc.want {
			t.Errorf("%v // %v = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	if got := pyFloorDiv(-0.5, 2); got != -1 {
		t.Errorf("-0.5 // 2 = %v", got)
	}
	if got := pyFloorDiv(0.5, -2); got != -1 {
		t.Errorf("0.5 // -2 = %v", got)
	}
	if got := pyFloorDiv(0, -2); got != 0 || !math.Signbit(got) {
		t.Errorf("0.0 // -2 = %v, want -0.0", got)
	}
	// Large qk/v dims are int(D*factor), not rounded.
	c := cfgParseYAML(t, "embedding_dim: 48\nnum_heads: 2\nnum_blocks: 1\nvocab_size: 10\nqk_dim_factor: 0.3\nv_dim_factor: 0.5\n")
	if c.Large.QKDim != 14 || c.Large.VDim != 24 || c.Large.DHQK != 7 || c.Large.DHV != 12 {
		t.Errorf("qk/v dims %+v", c.Large)
	}
}

// TestConfigDefaults checks the official defaults (SPEC §1.1, §1.2).
func TestConfigDefaults(t *testing.T) {
	c := cfgParseYAML(t, "vocab_size: 10\ncontext_length: 8\nmlstm_block: {}\nslstm_block: {}\nslstm_at: [0]\nnum_blocks: 2\n")
	want := &Config{Family: FamilyLM, VocabSize: 10, EmbeddingDim: 128, NumBlocks: 2, EOS: -1, BOS: -1, LM: LMConfig{
		ContextLength: 8, AddPostBlocksNorm: true, BlockIsSLSTM: []bool{true, false},
		MLSTM: MLSTMConfig{NumHeads: 4, ConvKernelSize: 4, QKVProjBlockSize: 4, ProjFactor: 2, RoundUpTo: 64, RoundUp: true, Inner: 256, HeadDim: 64},
		SLSTM: SLSTMConfig{NumHeads: 4, ConvKernelSize: 4, Backend: "cuda", GroupNormWeight: true, HeadDim: 32},
		FFN:   &FFNConfig{ProjFactor: 1.3, ActFn: "gelu", RoundUpTo: 64, RoundUp: true, Up: 192},
	}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("LM defaults\n got %+v\nwant %+v", c, want)
	}
	// feedforward: null → no FFN; nested embedding_dim / context_length / bias are overwritten by the top level.
	c = cfgParseYAML(t, `
vocab_size: 10
context_length: 16
embedding_dim: 32
bias: true
num_blocks: 2
slstm_at: [1]
mlstm_block:
  mlstm: {embedding_dim: 999, context_length: 3, bias: false, dropout: 0.5, _inner_embedding_dim: 7}
slstm_block:
  slstm: {embedding_dim: 999, hidden_size: 5, dropout: 0.2}
  feedforward: null
`)
	if c.LM.FFN != nil || c.EmbeddingDim != 32 || c.LM.ContextLength != 16 || !c.LM.Bias || c.LM.MLSTM.Inner != 64 || c.LM.SLSTM.HeadDim != 8 {
		t.Errorf("top-level propagation / null FFN: %+v", c)
	}
	// No mlstm_block: every block is sLSTM, whatever slstm_at says.
	c = cfgParseYAML(t, "vocab_size: 10\nnum_blocks: 3\nembedding_dim: 16\nslstm_at: [0]\nslstm_block: {slstm: {backend: vanilla}}\n")
	if !reflect.DeepEqual(cfgBlockMap(c), []int{1, 1, 1}) || c.LM.MLSTM != (MLSTMConfig{}) {
		t.Errorf("no mlstm_block: %+v", c)
	}
	// slstm_at: all with an mLSTM config present.
	c = cfgParseYAML(t, "vocab_size: 10\nnum_blocks: 2\nembedding_dim: 16\nslstm_at: all\nmlstm_block: {}\nslstm_block: {}\n")
	if !reflect.DeepEqual(cfgBlockMap(c), []int{1, 1}) {
		t.Errorf("slstm_at all: %v", cfgBlockMap(c))
	}
	// YAML 1.1 booleans, as PyYAML reads them.
	c = cfgParseYAML(t, "vocab_size: 10\ncontext_length: 4\nmlstm_block: {}\nembedding_dim: 16\ntie_weights: yes\nadd_post_blocks_norm: off\n")
	if !c.LM.TieWeights || c.LM.AddPostBlocksNorm {
		t.Errorf("yes/off: %+v", c.LM)
	}
	// Large defaults.
	c = cfgParseYAML(t, "embedding_dim: 64\nnum_heads: 4\nnum_blocks: 2\nvocab_size: 128\n")
	wantL := LargeConfig{NumHeads: 4, NormEps: 1e-6, NormReductionForceFloat32: true, AddOutNorm: true, QKDimFactor: 0.5,
		VDimFactor: 1, ChunkSize: 64, Eps: 1e-6, FFNProjFactor: 2.6667, FFNRoundUpTo: 64, GateSoftCap: 15,
		OutputLogitSoftCap: 30, WeightMode: "single", QKDim: 32, VDim: 64, DHQK: 8, DHV: 16, FFNDim: 192}
	if c.Large != wantL {
		t.Errorf("Large defaults\n got %+v\nwant %+v", c.Large, wantL)
	}
	// Soft caps may be null (none).
	c = cfgParseYAML(t, "embedding_dim: 64\nnum_heads: 4\nnum_blocks: 2\nvocab_size: 128\ngate_soft_cap: null\noutput_logit_soft_cap: ~\n")
	if c.Large.GateSoftCap != 0 || c.Large.OutputLogitSoftCap != 0 {
		t.Errorf("null soft caps: %+v", c.Large)
	}
}

// TestConfigHF checks the Hugging Face config.json reader on the 7B config.json (TestConfigBench
// compares it with the bench xlstm-7b.yaml when the shared folder is present).
func TestConfigHF(t *testing.T) {
	want, err := LoadConfig(cfgHF7B)
	if err != nil {
		t.Fatal(err)
	}
	if g := want.Large; want.EmbeddingDim != 4096 || want.NumBlocks != 32 || want.VocabSize != 50304 || want.EOS != 2 || want.BOS != 0 || !want.ForceBOS ||
		g.NumHeads != 8 || g.QKDim != 2048 || g.DHQK != 256 || g.DHV != 512 || g.FFNDim != 10944 || g.ChunkSize != 64 {
		t.Errorf("HF config.json: %+v", want)
	}
	// The transformers defaults are the 7B.
	if c := cfgParseJSON(t, `{"model_type": "xlstm"}`); !reflect.DeepEqual(c, want) {
		t.Errorf("HF defaults\n got %+v\nwant %+v", c, want)
	}
	// hidden_size and embedding_dim (num_hidden_layers and num_blocks) are aliases.
	for _, j := range []string{
		`{"model_type": "xlstm", "hidden_size": 256, "num_hidden_layers": 3, "num_heads": 4, "vocab_size": 99}`,
		`{"model_type": "xlstm", "embedding_dim": 256, "num_blocks": 3, "num_heads": 4, "vocab_size": 99}`,
		`{"architectures": ["xLSTMForCausalLM"], "hidden_size": 256, "embedding_dim": 256, "num_blocks": 3, "num_hidden_layers": null, "num_heads": 4, "vocab_size": 99}`,
	} {
		c := cfgParseJSON(t, j)
		if c.EmbeddingDim != 256 || c.NumBlocks != 3 || c.VocabSize != 99 || c.Large.FFNProjFactor != 2.667 || c.Large.FFNDim != 704 {
			t.Errorf("%s: %+v", j, c)
		}
	}
	// Fields that differ show up where they should.
	c := cfgParseJSON(t, `{"model_type": "xlstm", "weight_mode": "fused", "tie_word_embeddings": true, "use_bias": true, "eos_token_id": [2, 3], "pad_token_id": null, "torch_dtype": "float32", "id2label": {"0": "a"}}`)
	w := *want
	w.Large.WeightMode, w.Large.TieWordEmbeddings, w.Large.UseBias = "fused", true, true
	if !reflect.DeepEqual(c, &w) {
		t.Errorf("HF variant\n got %+v\nwant %+v", c, &w)
	}
	// eos_token_id: integer, list (first kept), null/empty for none.
	for j, eos := range map[string]int{`5`: 5, `[7, 2]`: 7, `null`: -1, `[]`: -1} {
		if c := cfgParseJSON(t, `{"model_type": "xlstm", "eos_token_id": `+j+`}`); c.EOS != eos {
			t.Errorf("eos_token_id %s: EOS %d, want %d", j, c.EOS, eos)
		}
	}
	// Tabs as JSON whitespace.
	if c := cfgParseJSON(t, "{\n\t\"model_type\":\t\"xlstm\"\n}"); c.EmbeddingDim != 4096 {
		t.Errorf("tabbed JSON: %+v", c)
	}
}

// TestLoadConfig checks file selection and error paths.
func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadConfig(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "config.yaml")) {
		t.Errorf("empty dir: %v", err)
	}
	large := []byte(cfgLargeYAML)
	// Only JSON.
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfgLargeJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(dir)
	if err != nil || c.Large.ChunkSize != 16 {
		t.Fatalf("json only: %v %+v", err, c)
	}
	// Both: YAML wins.
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), bytes.Replace(large, []byte("chunk_size: 16"), []byte("chunk_size: 32"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err = LoadConfig(dir); err != nil || c.Large.ChunkSize != 32 {
		t.Fatalf("both: %v %+v", err, c)
	}
	// Errors name the file.
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("num_heads: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "config.yaml")) {
		t.Errorf("bad yaml: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "config.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type": "xlstm", "x": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(dir)
	var ce *ConfigError
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "config.json")) || !errors.As(err, &ce) || ce.Key != "x" {
		t.Errorf("bad json: %v", err)
	}
}
