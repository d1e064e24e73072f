package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
)

// cfgTestdata is where the config fixtures live (copies of the shared reference and bench configs,
// plus a Hugging Face style config.json).
const cfgTestdata = "testdata/config"

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

// TestConfigReference parses the four reference configs and checks the derived sizes and the
// block map against the values the official code resolved (meta.json).
func TestConfigReference(t *testing.T) {
	for _, name := range testref.ReferenceSets() {
		t.Run(name, func(t *testing.T) {
			dir := testref.Dir(t, "xlstm/reference/"+name)
			c, err := LoadConfig(dir)
			if err != nil {
				t.Fatal(err)
			}
			var meta struct {
				BlockMap             []int             `json:"block_map"`
				ResolvedTopConfig    json.RawMessage   `json:"resolved_top_config"`
				ResolvedBlockConfigs []json.RawMessage `json:"resolved_block_configs"`
				Config               json.RawMessage   `json:"config"`
				DerivedDims          map[string]int    `json:"derived_dims"`
			}
			if err := json.Unmarshal(cfgRead(t, filepath.Join(dir, "meta.json")), &meta); err != nil {
				t.Fatal(err)
			}
			if name == "xlstm_large" {
				if c.Family != FamilyLarge {
					t.Fatalf("family %v", c.Family)
				}
				g := c.Large
				got := map[string]int{"qk_dim": g.QKDim, "v_dim": g.VDim, "dh_qk": g.DHQK, "dh_v": g.DHV, "ffn_up_dim": g.FFNDim}
				if !reflect.DeepEqual(got, meta.DerivedDims) {
					t.Errorf("derived dims %v, meta.json %v", got, meta.DerivedDims)
				}
				// config.json of the same folder and the meta.json config agree with config.yaml.
				for what, data := range map[string][]byte{"config.json": cfgRead(t, filepath.Join(dir, "config.json")), "meta.config": meta.Config} {
					cj, err := ParseConfigJSON(data)
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					if !reflect.DeepEqual(cj, c) {
						t.Errorf("%s: %+v, config.yaml: %+v", what, cj, c)
					}
				}
				return
			}
			if c.Family != FamilyLM {
				t.Fatalf("family %v", c.Family)
			}
			if !reflect.DeepEqual(cfgBlockMap(c), meta.BlockMap) {
				t.Errorf("block map %v, meta.json %v", cfgBlockMap(c), meta.BlockMap)
			}
			if len(meta.ResolvedBlockConfigs) != c.NumBlocks {
				t.Fatalf("%d resolved block configs, num_blocks %d", len(meta.ResolvedBlockConfigs), c.NumBlocks)
			}
			for i, raw := range meta.ResolvedBlockConfigs {
				var b struct {
					MLSTM *struct {
						Inner      int     `json:"_inner_embedding_dim"`
						NumHeads   int     `json:"num_heads"`
						Blocksize  int     `json:"qkv_proj_blocksize"`
						Conv       int     `json:"conv1d_kernel_size"`
						ProjFactor float64 `json:"proj_factor"`
						Context    int     `json:"context_length"`
						Embedding  int     `json:"embedding_dim"`
					} `json:"mlstm"`
					SLSTM *struct {
						NumHeads  int    `json:"num_heads"`
						Conv      int    `json:"conv1d_kernel_size"`
						Backend   string `json:"backend"`
						GroupNorm bool   `json:"group_norm_weight"`
						Hidden    int    `json:"hidden_size"`
					} `json:"slstm"`
					FFN *struct {
						Up         int     `json:"_proj_up_dim"`
						ProjFactor float64 `json:"proj_factor"`
						ActFn      string  `json:"act_fn"`
						Bias       bool    `json:"bias"`
					} `json:"feedforward"`
				}
				if err := json.Unmarshal(raw, &b); err != nil {
					t.Fatal(err)
				}
				if (b.SLSTM != nil) != c.LM.BlockIsSLSTM[i] {
					t.Fatalf("block %d: sLSTM %v, meta.json disagrees", i, c.LM.BlockIsSLSTM[i])
				}
				if m := b.MLSTM; m != nil {
					g := c.LM.MLSTM
					if g.Inner != m.Inner || g.NumHeads != m.NumHeads || g.QKVProjBlockSize != m.Blocksize ||
						g.ConvKernelSize != m.Conv || g.ProjFactor != m.ProjFactor || c.LM.ContextLength != m.Context ||
						c.EmbeddingDim != m.Embedding || g.HeadDim != m.Inner/m.NumHeads {
						t.Errorf("block %d: mLSTM %+v (context %d, D %d), meta.json %+v", i, g, c.LM.ContextLength, c.EmbeddingDim, *m)
					}
				}
				if s := b.SLSTM; s != nil {
					g := c.LM.SLSTM
					if g.NumHeads != s.NumHeads || g.ConvKernelSize != s.Conv || g.Backend != s.Backend ||
						g.GroupNormWeight != s.GroupNorm || g.HeadDim != s.Hidden/s.NumHeads {
						t.Errorf("block %d: sLSTM %+v, meta.json %+v", i, g, *s)
					}
				}
				if f := b.FFN; f != nil {
					g := c.LM.FFN
					if g == nil || g.Up != f.Up || g.ProjFactor != f.ProjFactor || g.ActFn != f.ActFn || g.Bias != f.Bias {
						t.Errorf("block %d: FFN %+v, meta.json %+v", i, g, *f)
					}
				}
			}
			// The fully resolved top-level config dumped from Python (every dataclass field,
			// internal ones included) reads as JSON to the same Config.
			cj, err := ParseConfigJSON(meta.ResolvedTopConfig)
			if err != nil {
				t.Fatalf("resolved_top_config: %v", err)
			}
			if !reflect.DeepEqual(cj, c) {
				t.Errorf("resolved_top_config: %+v\nconfig.yaml: %+v", cj, c)
			}
		})
	}
}

// TestConfigFixturesMatchShared checks that the copies in testdata are the shared files.
func TestConfigFixturesMatchShared(t *testing.T) {
	pairs := map[string]string{}
	for _, n := range testref.ReferenceSets() {
		pairs[n+".yaml"] = "xlstm/reference/" + n + "/config.yaml"
	}
	pairs["xlstm_large.json"] = "xlstm/reference/xlstm_large/config.json"
	for _, n := range []string{"bench-small.yaml", "bench-large.yaml", "xlstm-7b.yaml"} {
		pairs[n] = "bench/" + n
	}
	root := testref.Dir(t, ".")
	for local, shared := range pairs {
		want, err := os.ReadFile(filepath.Join(root, shared))
		if err != nil {
			t.Logf("%s: %v (skipped)", shared, err)
			continue
		}
		if got := cfgRead(t, filepath.Join(cfgTestdata, local)); !bytes.Equal(got, want) {
			t.Errorf("%s/%s differs from shared/%s; copy it again", cfgTestdata, local, shared)
		}
	}
}

// TestConfigBench checks the bench configs (copies in testdata) and their derived sizes.
func TestConfigBench(t *testing.T) {
	small := cfgParseYAML(t, string(cfgRead(t, filepath.Join(cfgTestdata, "bench-small.yaml"))))
	if small.Family != FamilyLM || small.EmbeddingDim != 256 || small.NumBlocks != 8 || small.VocabSize != 256 || small.LM.ContextLength != 256 {
		t.Errorf("bench-small: %+v", small)
	}
	if got, want := cfgBlockMap(small), []int{0, 1, 0, 0, 0, 1, 0, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("bench-small block map %v, want %v", got, want)
	}
	if m := small.LM.MLSTM; m.Inner != 512 || m.HeadDim != 128 || m.NumHeads != 4 || m.ConvKernelSize != 4 || m.QKVProjBlockSize != 4 {
		t.Errorf("bench-small mLSTM %+v", m)
	}
	if s := small.LM.SLSTM; s.HeadDim != 64 || s.Backend != "vanilla" || !s.GroupNormWeight {
		t.Errorf("bench-small sLSTM %+v", s)
	}
	if f := small.LM.FFN; f == nil || f.Up != 384 || f.ActFn != "gelu" {
		t.Errorf("bench-small FFN %+v", f)
	}
	for _, tc := range []struct {
		file                    string
		d, nh, qk, v, dqk, dv   int
		ffn, vocab, blocks, chk int
	}{
		{"bench-large.yaml", 512, 4, 256, 512, 64, 128, 1408, 50304, 6, 64},
		{"xlstm-7b.yaml", 4096, 8, 2048, 4096, 256, 512, 10944, 50304, 32, 64},
		{"xlstm_large.yaml", 64, 4, 32, 64, 8, 16, 192, 128, 2, 16},
	} {
		c := cfgParseYAML(t, string(cfgRead(t, filepath.Join(cfgTestdata, tc.file))))
		g := c.Large
		if c.Family != FamilyLarge || c.EmbeddingDim != tc.d || g.NumHeads != tc.nh || g.QKDim != tc.qk || g.VDim != tc.v ||
			g.DHQK != tc.dqk || g.DHV != tc.dv || g.FFNDim != tc.ffn || c.VocabSize != tc.vocab || c.NumBlocks != tc.blocks ||
			g.ChunkSize != tc.chk || g.GateSoftCap != 15 || g.OutputLogitSoftCap != 30 || g.WeightMode != "single" ||
			!g.AddOutNorm || g.UseBias || g.NormEps != 1e-6 || g.Eps != 1e-6 || g.TieWordEmbeddings {
			t.Errorf("%s: %+v", tc.file, c)
		}
	}
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
	want := &Config{Family: FamilyLM, VocabSize: 10, EmbeddingDim: 128, NumBlocks: 2, EOS: -1, LM: LMConfig{
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

// TestConfigHF checks the Hugging Face config.json reader against the 7B YAML.
func TestConfigHF(t *testing.T) {
	want := cfgParseYAML(t, string(cfgRead(t, filepath.Join(cfgTestdata, "xlstm-7b.yaml"))))
	if want.EOS != -1 {
		t.Fatalf("xlstm-7b.yaml EOS %d, want -1 (none)", want.EOS)
	}
	want.EOS = 2 // the one field the HF file adds: eos_token_id
	got, err := LoadConfig(filepath.Join(cfgTestdata, "hf-xlstm-7b"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("HF config.json\n got %+v\nwant %+v", got, want)
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

// TestConfigErrors checks that bad configs are refused with the key named in the message.
func TestConfigErrors(t *testing.T) {
	const lm = "vocab_size: 64\ncontext_length: 16\nnum_blocks: 3\nembedding_dim: 64\nslstm_at: [1]\n"
	const mb = "mlstm_block:\n  mlstm:\n    num_heads: 4\n"
	const sb = "slstm_block:\n  slstm:\n    backend: vanilla\n    num_heads: 4\n  feedforward:\n    act_fn: gelu\n"
	const large = "embedding_dim: 64\nnum_heads: 4\nnum_blocks: 2\nvocab_size: 128\n"
	// Sanity: the bases are valid.
	cfgParseYAML(t, lm+mb+sb)
	cfgParseYAML(t, large)
	for _, tc := range []struct {
		name, yaml, json string
		want             []string // substrings of the message
	}{
		{name: "unknown nested key", yaml: lm + mb + "    num_head: 4\n" + sb, want: []string{`unknown key "mlstm_block.mlstm.num_head"`}},
		{name: "unknown ffn key", yaml: lm + mb + sb + "    actfn: relu\n", want: []string{`unknown key "slstm_block.feedforward.actfn"`}},
		{name: "unknown slstm key", yaml: lm + mb + sb[:len("slstm_block:\n  slstm:\n")] + "    heads: 2\n", want: []string{`"slstm_block.slstm.heads"`}},
		{name: "unknown block key", yaml: lm + "mlstm_block:\n  mlstm: {}\n  extra: 1\n" + sb, want: []string{`"mlstm_block.extra"`}},
		{name: "unknown top key LM", yaml: lm + mb + sb + "hidden_size: 3\n", want: []string{`unknown key "hidden_size"`}},
		{name: "unknown top key Large", yaml: large + "gate_softcap: 3\n", want: []string{`unknown key "gate_softcap"`}},
		{name: "unknown only", yaml: "foo: 1\nvocab_size: 3\n", want: []string{`unknown key "foo"`}},
		{name: "LM key in Large", yaml: large + "tie_weights: true\n", want: []string{"ambiguous", "tie_weights", "num_heads"}},
		{name: "no family", yaml: "vocab_size: 3\nembedding_dim: 4\n", want: []string{"family"}},
		{name: "wrong type string for int", yaml: "vocab_size: '64'\ncontext_length: 16\n" + mb, want: []string{"vocab_size", "integer"}},
		{name: "duplicate top key", yaml: lm + "embedding_dim: 64.0\n", want: []string{"duplicate key \"embedding_dim\""}},
		{name: "float for int", yaml: "vocab_size: 64.0\ncontext_length: 16\n" + mb, want: []string{"vocab_size"}},
		{name: "wrong type nested", yaml: lm + "mlstm_block:\n  mlstm:\n    proj_factor: two\n" + sb, want: []string{"mlstm_block.mlstm.proj_factor", "number"}},
		{name: "wrong type bool", yaml: lm + "bias: 1\n" + mb + sb, want: []string{"bias", "boolean"}},
		{name: "quoted bool", yaml: lm + "bias: 'true'\n" + mb + sb, want: []string{"bias", "boolean"}},
		{name: "wrong type block", yaml: lm + "mlstm_block: 5\n" + sb, want: []string{"mlstm_block", "mapping"}},
		{name: "null layer", yaml: lm + "mlstm_block:\n  mlstm: null\n" + sb, want: []string{"mlstm_block.mlstm", "mapping"}},
		{name: "slstm_at item", yaml: strings.Replace(lm, "[1]", "[a]", 1) + mb + sb, want: []string{"slstm_at[0]"}},
		{name: "slstm_at string", yaml: strings.Replace(lm, "[1]", "some", 1) + mb + sb, want: []string{"slstm_at", "all"}},
		{name: "slstm_at null", yaml: strings.Replace(lm, "[1]", "null", 1) + mb + sb, want: []string{"slstm_at"}},
		{name: "slstm_at out of range", yaml: strings.Replace(lm, "[1]", "[0, 3]", 1) + mb + sb, want: []string{"slstm_at[1]", "out of range"}},
		{name: "slstm_at negative", yaml: strings.Replace(lm, "[1]", "[-1]", 1) + mb + sb, want: []string{"slstm_at[0]", "out of range"}},
		{name: "slstm_at duplicate", yaml: strings.Replace(lm, "[1]", "[1, 1]", 1) + mb + sb, want: []string{"slstm_at[1]", "twice"}},
		{name: "vocab 0", yaml: strings.Replace(lm, "vocab_size: 64", "vocab_size: 0", 1) + mb + sb, want: []string{"vocab_size"}},
		{name: "vocab default", yaml: "context_length: 16\n" + mb, want: []string{"vocab_size"}},
		{name: "embedding negative", yaml: strings.Replace(lm, "embedding_dim: 64", "embedding_dim: -64", 1) + mb + sb, want: []string{"embedding_dim"}},
		{name: "num_blocks 0", yaml: strings.Replace(lm, "num_blocks: 3", "num_blocks: 0", 1) + mb + sb, want: []string{"num_blocks"}},
		{name: "num_blocks huge", yaml: strings.Replace(lm, "num_blocks: 3", "num_blocks: 2000000000", 1) + mb + sb, want: []string{"num_blocks"}},
		{name: "int overflow", yaml: strings.Replace(lm, "num_blocks: 3", "num_blocks: 99999999999999999999", 1) + mb + sb, want: []string{"num_blocks"}},
		{name: "mlstm heads", yaml: lm + "mlstm_block:\n  mlstm:\n    num_heads: 3\n" + sb, want: []string{"mlstm_block.mlstm.num_heads", "divisible"}},
		{name: "mlstm heads 0", yaml: lm + "mlstm_block:\n  mlstm:\n    num_heads: 0\n" + sb, want: []string{"mlstm_block.mlstm.num_heads"}},
		{name: "mlstm blocksize", yaml: lm + "mlstm_block:\n  mlstm:\n    qkv_proj_blocksize: 3\n" + sb, want: []string{"mlstm_block.mlstm.qkv_proj_blocksize", "divisible"}},
		{name: "mlstm conv 1", yaml: lm + "mlstm_block:\n  mlstm:\n    conv1d_kernel_size: 1\n" + sb, want: []string{"mlstm_block.mlstm.conv1d_kernel_size"}},
		{name: "mlstm proj_factor 0", yaml: lm + "mlstm_block:\n  mlstm:\n    proj_factor: 0\n" + sb, want: []string{"mlstm_block.mlstm.proj_factor"}},
		{name: "mlstm proj_factor nan", yaml: lm + "mlstm_block:\n  mlstm:\n    proj_factor: .nan\n" + sb, want: []string{"mlstm_block.mlstm.proj_factor"}},
		{name: "mlstm rounding 0", yaml: lm + "mlstm_block:\n  mlstm:\n    round_proj_up_to_multiple_of: 0\n" + sb, want: []string{"mlstm_block.mlstm.round_proj_up_to_multiple_of"}},
		{name: "mlstm inner 0", yaml: lm + "mlstm_block:\n  mlstm:\n    proj_factor: 0.5\n    round_proj_up_dim_up: false\n" + sb, want: []string{"mlstm_block.mlstm.proj_factor", "inner dim 0"}},
		{name: "slstm heads", yaml: lm + mb + "slstm_block:\n  slstm:\n    num_heads: 5\n", want: []string{"slstm_block.slstm.num_heads", "divisible"}},
		{name: "slstm heads negative", yaml: lm + mb + "slstm_block:\n  slstm:\n    num_heads: -4\n", want: []string{"slstm_block.slstm.num_heads"}},
		{name: "slstm conv negative", yaml: lm + mb + "slstm_block:\n  slstm:\n    conv1d_kernel_size: -2\n", want: []string{"slstm_block.slstm.conv1d_kernel_size"}},
		{name: "slstm conv 1", yaml: lm + mb + "slstm_block:\n  slstm:\n    conv1d_kernel_size: 1\n", want: []string{"slstm_block.slstm.conv1d_kernel_size"}},
		{name: "slstm backend", yaml: lm + mb + "slstm_block:\n  slstm:\n    backend: triton\n", want: []string{"slstm_block.slstm.backend"}},
		{name: "slstm function", yaml: lm + mb + "slstm_block:\n  slstm:\n    function: lstm\n", want: []string{"slstm_block.slstm.function"}},
		{name: "slstm dtype", yaml: lm + mb + "slstm_block:\n  slstm:\n    dtype_r: float8\n", want: []string{"slstm_block.slstm.dtype_r"}},
		{name: "act_fn", yaml: lm + mb + "slstm_block:\n  feedforward:\n    act_fn: tanh\n", want: []string{"slstm_block.feedforward.act_fn"}},
		{name: "ff_type", yaml: lm + mb + "slstm_block:\n  feedforward:\n    ff_type: ffn\n", want: []string{"slstm_block.feedforward.ff_type"}},
		{name: "ffn factor", yaml: lm + mb + "slstm_block:\n  feedforward:\n    proj_factor: -1.3\n", want: []string{"slstm_block.feedforward.proj_factor"}},
		{name: "dropout", yaml: lm + "dropout: 1.5\n" + mb + sb, want: []string{"dropout"}},
		{name: "context_length", yaml: strings.Replace(lm, "context_length: 16\n", "", 1) + mb + sb, want: []string{"context_length"}},
		{name: "context_length 0", yaml: strings.Replace(lm, "context_length: 16", "context_length: 0", 1) + mb + sb, want: []string{"context_length"}},
		{name: "missing slstm_block", yaml: lm + mb, want: []string{"slstm_block", "required"}},
		{name: "no blocks at all", yaml: "vocab_size: 3\ncontext_length: 4\nslstm_at: []\n", want: []string{"slstm_block", "required"}},
		{name: "null slstm_block", yaml: lm + mb + "slstm_block: null\n", want: []string{"slstm_block"}},
		{name: "large heads", yaml: strings.Replace(large, "num_heads: 4", "num_heads: 3", 1), want: []string{"num_heads", "divisible"}},
		{name: "large heads v", yaml: large + "v_dim_factor: 0.1\n", want: []string{"num_heads", "v_dim 6", "divisible"}},
		{name: "large heads 0", yaml: strings.Replace(large, "num_heads: 4", "num_heads: 0", 1), want: []string{"num_heads"}},
		{name: "large qk 0", yaml: large + "qk_dim_factor: 0.001\n", want: []string{"qk_dim_factor", "qk_dim"}},
		{name: "large v 0", yaml: large + "v_dim_factor: 0.01\n", want: []string{"v_dim_factor", "v_dim"}},
		{name: "large chunk 0", yaml: large + "chunk_size: 0\n", want: []string{"chunk_size"}},
		{name: "large weight_mode", yaml: large + "weight_mode: double\n", want: []string{"weight_mode"}},
		{name: "large mode", yaml: large + "mode: eval\n", want: []string{"mode"}},
		{name: "large soft cap 0", yaml: large + "gate_soft_cap: 0\n", want: []string{"gate_soft_cap"}},
		{name: "large soft cap negative", yaml: large + "output_logit_soft_cap: -30\n", want: []string{"output_logit_soft_cap"}},
		{name: "large eps", yaml: large + "norm_eps: -1e-6\n", want: []string{"norm_eps"}},
		{name: "large ffn rounding", yaml: large + "ffn_round_up_to_multiple_of: 0\n", want: []string{"ffn_round_up_to_multiple_of"}},
		{name: "large missing required", yaml: "num_heads: 4\nnum_blocks: 2\nvocab_size: 128\n", want: []string{`missing required key "embedding_dim"`}},
		{name: "large wrong type", yaml: large + "use_bias: no way\n", want: []string{"use_bias", "boolean"}},
		{name: "eos out of vocab", yaml: large + "eos_token_id: 128\n", want: []string{"eos_token_id"}},
		{name: "eos negative", yaml: lm + mb + sb + "eos_token_id: -2\n", want: []string{"eos_token_id"}},
		{name: "eos type", yaml: large + "eos_token_id: [1]\n", want: []string{"eos_token_id", "integer"}},
		{name: "large tie extension type", yaml: large + "tie_word_embeddings: 1\n", want: []string{"tie_word_embeddings"}},
		{name: "empty", yaml: "", want: []string{"empty"}},
		{name: "null doc", yaml: "~\n", want: []string{"empty"}},
		{name: "list doc", yaml: "- 1\n- 2\n", want: []string{"not a mapping"}},
		{name: "two docs", yaml: large + "---\n" + large, want: []string{"more than one"}},
		{name: "syntax", yaml: "a: [\n", want: []string{"syntax"}},
		{name: "duplicate", yaml: large + "num_heads: 4\n", want: []string{`duplicate key "num_heads"`}},
		{name: "int key", yaml: large + "1: 2\n", want: []string{"keys must be strings"}},
		{name: "merge key", yaml: large + "<<: {use_bias: true}\n", want: []string{"merge"}},
		{name: "json unknown", json: `{"model_type": "xlstm", "hidden_sizes": 3}`, want: []string{`unknown key "hidden_sizes"`}},
		{name: "json model_type", json: `{"model_type": "llama", "hidden_size": 3}`, want: []string{"model_type"}},
		{name: "json wrong type", json: `{"model_type": "xlstm", "num_heads": "8"}`, want: []string{"num_heads", "integer"}},
		{name: "json alias conflict", json: `{"model_type": "xlstm", "hidden_size": 64, "embedding_dim": 128}`, want: []string{"embedding_dim", "hidden_size"}},
		{name: "json blocks conflict", json: `{"num_hidden_layers": 2, "num_blocks": 3}`, want: []string{"num_blocks", "num_hidden_layers"}},
		{name: "json eos type", json: `{"model_type": "xlstm", "eos_token_id": "x"}`, want: []string{"eos_token_id"}},
		{name: "json architectures", json: `{"model_type": "xlstm", "architectures": "xLSTMForCausalLM"}`, want: []string{"architectures"}},
		{name: "json HF with LM key", json: `{"model_type": "xlstm", "slstm_at": [1]}`, want: []string{"ambiguous", "slstm_at"}},
		{name: "json large missing", json: `{"num_heads": 4}`, want: []string{"missing required key"}},
		{name: "json lm nested unknown", json: `{"vocab_size": 5, "context_length": 4, "mlstm_block": {"mlstm": {"numheads": 1}}}`, want: []string{`"mlstm_block.mlstm.numheads"`}},
		{name: "json float for int", json: `{"embedding_dim": 64.0, "num_heads": 4, "num_blocks": 1, "vocab_size": 5}`, want: []string{"embedding_dim"}},
		{name: "json invalid", json: `{"a": 1,}`, want: []string{"invalid JSON"}},
		{name: "json array", json: `[1, 2]`, want: []string{"not an object"}},
		{name: "json dup", json: `{"model_type": "xlstm", "num_heads": 4, "num_heads": 8}`, want: []string{`duplicate key "num_heads"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			var src string
			if tc.json != "" {
				src = tc.json
				_, err = ParseConfigJSON([]byte(tc.json))
			} else {
				src = tc.yaml
				_, err = ParseConfigYAML([]byte(tc.yaml))
			}
			if err == nil {
				t.Fatalf("no error for\n%s", src)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *ConfigError: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("message %q does not start with \"config: \"", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestConfigValidate checks Validate on hand-edited configs.
func TestConfigValidate(t *testing.T) {
	base := func() *Config {
		return cfgParseYAML(t, string(cfgRead(t, filepath.Join(cfgTestdata, "mixed.yaml"))))
	}
	baseL := func() *Config {
		return cfgParseYAML(t, string(cfgRead(t, filepath.Join(cfgTestdata, "xlstm_large.yaml"))))
	}
	var nilCfg *Config
	if err := nilCfg.Validate(); err == nil {
		t.Error("nil config validated")
	}
	for _, tc := range []struct {
		name string
		cfg  func() *Config
		key  string
	}{
		{"family", func() *Config { c := base(); c.Family = 0; return c }, "family"},
		{"inner", func() *Config { c := base(); c.LM.MLSTM.Inner = 64; return c }, "_inner_embedding_dim"},
		{"block map length", func() *Config { c := base(); c.LM.BlockIsSLSTM = c.LM.BlockIsSLSTM[:2]; return c }, "slstm_at"},
		{"ffn up", func() *Config { c := base(); c.LM.FFN.Up = 1; return c }, "slstm_block.feedforward._proj_up_dim"},
		{"slstm head dim", func() *Config { c := base(); c.LM.SLSTM.HeadDim = 3; return c }, "slstm_block.slstm.num_heads"},
		{"act fn", func() *Config { c := base(); c.LM.FFN.ActFn = "GELU"; return c }, "slstm_block.feedforward.act_fn"},
		{"sLSTM used without config", func() *Config { c := base(); c.LM.SLSTM = SLSTMConfig{}; return c }, "slstm_block.slstm.num_heads"},
		{"large derived", func() *Config { c := baseL(); c.Large.FFNDim = 128; return c }, "embedding_dim"},
		{"large weight mode", func() *Config { c := baseL(); c.Large.WeightMode = ""; return c }, "weight_mode"},
		{"large soft cap inf", func() *Config { c := baseL(); c.Large.GateSoftCap = math.Inf(1); return c }, "gate_soft_cap"},
	} {
		err := tc.cfg().Validate()
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.key)
		}
	}
	// Unused sub-configs are not checked: an mLSTM-only model may carry any slstm_block.
	c := base()
	c.LM.BlockIsSLSTM = []bool{false, false, false}
	c.LM.SLSTM.NumHeads = 5
	if err := c.Validate(); err != nil {
		t.Errorf("unused sLSTM config: %v", err)
	}
}

// cfgRoundTripInputs are configs used by the round-trip and fingerprint tests.
func cfgRoundTripInputs(t *testing.T) map[string]*Config {
	out := map[string]*Config{}
	entries, err := os.ReadDir(cfgTestdata)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(cfgTestdata, e.Name())
		switch {
		case strings.HasSuffix(e.Name(), ".yaml"):
			out[e.Name()] = cfgParseYAML(t, string(cfgRead(t, p)))
		case strings.HasSuffix(e.Name(), ".json"):
			out[e.Name()] = cfgParseJSON(t, string(cfgRead(t, p)))
		case e.IsDir():
			c, err := LoadConfig(p)
			if err != nil {
				t.Fatal(err)
			}
			out[e.Name()] = c
		}
	}
	for name, y := range map[string]string{
		"ffn-null":  "vocab_size: 10\ncontext_length: 8\nembedding_dim: 32\nnum_blocks: 2\nslstm_at: [0]\nmlstm_block: {}\nslstm_block: {feedforward: null}\n",
		"all-slstm": "vocab_size: 10\nembedding_dim: 32\nnum_blocks: 2\nslstm_block: {slstm: {num_heads: 2, conv1d_kernel_size: 0, group_norm_weight: false}}\n",
		"all-with-mlstm": "vocab_size: 10\nembedding_dim: 32\nnum_blocks: 2\nslstm_at: all\nmlstm_block: {mlstm: {num_heads: 3}}\n" +
			"slstm_block: {feedforward: {act_fn: relu^2, bias: true, proj_factor: 2, round_proj_up_dim_up: false, round_proj_up_to_multiple_of: 8}}\n",
		"mlstm-only-with-slstm": "vocab_size: 10\ncontext_length: 5\nembedding_dim: 48\nnum_blocks: 2\ntie_weights: true\nbias: true\nadd_post_blocks_norm: false\n" +
			"mlstm_block: {mlstm: {conv1d_kernel_size: 0, proj_factor: 1.5, round_proj_up_to_multiple_of: 16, qkv_proj_blocksize: 2, num_heads: 2}}\nslstm_block: {slstm: {num_heads: 3}}\n",
		"lm-eos":    "vocab_size: 10\ncontext_length: 4\nembedding_dim: 16\nmlstm_block: {}\neos_token_id: 0\n",
		"large-eos": "embedding_dim: 64\nnum_heads: 4\nnum_blocks: 2\nvocab_size: 128\neos_token_id: 127\n",
		"large-odd": "embedding_dim: 48\nnum_heads: 3\nnum_blocks: 1\nvocab_size: 7\nqk_dim_factor: 0.25\nv_dim_factor: 1.5\nchunk_size: 5\n" +
			"gate_soft_cap: null\noutput_logit_soft_cap: 12.5\nweight_mode: fused\nuse_bias: true\nadd_out_norm: false\nnorm_reduction_force_float32: false\n" +
			"norm_eps: 1e-5\neps: 0.0\nffn_proj_factor: 1\nffn_round_up_to_multiple_of: 7\ntie_word_embeddings: true\n",
	} {
		out[name] = cfgParseYAML(t, y)
	}
	return out
}

// TestConfigYAMLRoundTrip checks ParseConfigYAML(c.YAML()) == c.
func TestConfigYAMLRoundTrip(t *testing.T) {
	for name, c := range cfgRoundTripInputs(t) {
		y, err := c.YAML()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := ParseConfigYAML(y)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, y)
		}
		if !reflect.DeepEqual(back, c) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v\n%s", name, back, c, y)
		}
		y2, err := back.YAML()
		if err != nil || !bytes.Equal(y, y2) {
			t.Errorf("%s: YAML not stable (%v)\n%s\n%s", name, err, y, y2)
		}
	}
	// The bench-small YAML as written back.
	c := cfgParseYAML(t, string(cfgRead(t, filepath.Join(cfgTestdata, "bench-small.yaml"))))
	y, _ := c.YAML()
	for _, want := range []string{"slstm_at: [1, 5]", "proj_factor: 2.0", "proj_factor: 1.3", "backend: vanilla", "act_fn: gelu"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("YAML lacks %q:\n%s", want, y)
		}
	}
	// Floats are written so that YAML 1.1 (PyYAML) reads them as floats too.
	c = cfgParseYAML(t, string(cfgRead(t, filepath.Join(cfgTestdata, "xlstm_large.yaml"))))
	c.Large.OutputLogitSoftCap = 1e21
	y, _ = c.YAML()
	for _, want := range []string{"norm_eps: 1.0e-06\n", "output_logit_soft_cap: 1.0e+21\n", "ffn_proj_factor: 2.6667\n", "gate_soft_cap: 15.0\n"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("YAML lacks %q:\n%s", want, y)
		}
	}
	bad := &Config{Family: FamilyLarge}
	if _, err := bad.YAML(); err == nil {
		t.Error("YAML of an invalid config succeeded")
	}
	// A hand-built config with an unused, unreadable sub-config is refused, not written wrongly.
	c = cfgParseYAML(t, string(cfgRead(t, filepath.Join(cfgTestdata, "mlstm_only.yaml"))))
	c.LM.SLSTM = SLSTMConfig{NumHeads: 4, Backend: "triton"}
	if err := c.Validate(); err != nil {
		t.Fatalf("unused sLSTM config: %v", err)
	}
	if _, err := c.YAML(); err == nil || !strings.Contains(err.Error(), "slstm_block.slstm.backend") {
		t.Errorf("YAML of a config that cannot read back: %v", err)
	}
}

// TestConfigFingerprint checks that the fingerprint is stable and separates configs.
func TestConfigFingerprint(t *testing.T) {
	inputs := cfgRoundTripInputs(t)
	for name, c := range inputs {
		fp := c.Fingerprint()
		// Equal configs (parsed again via YAML) give equal fingerprints.
		y, err := c.YAML()
		if err != nil {
			t.Fatal(err)
		}
		if c2, err := ParseConfigYAML(y); err != nil || c2.Fingerprint() != fp {
			t.Errorf("%s: fingerprint not reproduced (%v)", name, err)
		}
		// Across the fixtures: equal fingerprints exactly for configs equal but for EOS
		// (e.g. the HF 7B config.json and xlstm-7b.yaml are the same model).
		for other, d := range inputs {
			c2, d2 := *c, *d
			c2.EOS, d2.EOS = 0, 0
			if eq, same := reflect.DeepEqual(&c2, &d2), fp == d.Fingerprint(); eq != same {
				t.Errorf("%s vs %s: configs equal %v, fingerprints equal %v", name, other, eq, same)
			}
		}
	}
	lm := func() *Config { return inputs["mixed.yaml"] }
	cp := func(c *Config) *Config {
		d := *c
		d.LM.BlockIsSLSTM = append([]bool(nil), c.LM.BlockIsSLSTM...)
		if c.LM.FFN != nil {
			f := *c.LM.FFN
			d.LM.FFN = &f
		}
		return &d
	}
	lg := func() *Config { return inputs["xlstm_large.yaml"] }
	for name, mut := range map[string]func() *Config{
		"family":       func() *Config { c := cp(lm()); c.Family = FamilyLarge; return c },
		"vocab":        func() *Config { c := cp(lm()); c.VocabSize++; return c },
		"dim":          func() *Config { c := cp(lm()); c.EmbeddingDim++; return c },
		"blocks":       func() *Config { c := cp(lm()); c.NumBlocks++; return c },
		"context":      func() *Config { c := cp(lm()); c.LM.ContextLength++; return c },
		"post norm":    func() *Config { c := cp(lm()); c.LM.AddPostBlocksNorm = false; return c },
		"bias":         func() *Config { c := cp(lm()); c.LM.Bias = true; return c },
		"tie":          func() *Config { c := cp(lm()); c.LM.TieWeights = true; return c },
		"block map":    func() *Config { c := cp(lm()); c.LM.BlockIsSLSTM[0] = true; return c },
		"m heads":      func() *Config { c := cp(lm()); c.LM.MLSTM.NumHeads = 2; return c },
		"m conv":       func() *Config { c := cp(lm()); c.LM.MLSTM.ConvKernelSize = 0; return c },
		"m blocksize":  func() *Config { c := cp(lm()); c.LM.MLSTM.QKVProjBlockSize = 2; return c },
		"m factor":     func() *Config { c := cp(lm()); c.LM.MLSTM.ProjFactor = 2.0000001; return c },
		"m round":      func() *Config { c := cp(lm()); c.LM.MLSTM.RoundUpTo = 32; return c },
		"m roundup":    func() *Config { c := cp(lm()); c.LM.MLSTM.RoundUp = false; return c },
		"m inner":      func() *Config { c := cp(lm()); c.LM.MLSTM.Inner = 1; return c },
		"m head dim":   func() *Config { c := cp(lm()); c.LM.MLSTM.HeadDim = 1; return c },
		"s heads":      func() *Config { c := cp(lm()); c.LM.SLSTM.NumHeads = 2; return c },
		"s conv":       func() *Config { c := cp(lm()); c.LM.SLSTM.ConvKernelSize = 0; return c },
		"s backend":    func() *Config { c := cp(lm()); c.LM.SLSTM.Backend = "cuda"; return c },
		"s group norm": func() *Config { c := cp(lm()); c.LM.SLSTM.GroupNormWeight = false; return c },
		"s head dim":   func() *Config { c := cp(lm()); c.LM.SLSTM.HeadDim = 1; return c },
		"ffn nil":      func() *Config { c := cp(lm()); c.LM.FFN = nil; return c },
		"ffn factor":   func() *Config { c := cp(lm()); c.LM.FFN.ProjFactor = 1.31; return c },
		"ffn act":      func() *Config { c := cp(lm()); c.LM.FFN.ActFn = "relu"; return c },
		"ffn round":    func() *Config { c := cp(lm()); c.LM.FFN.RoundUpTo = 32; return c },
		"ffn roundup":  func() *Config { c := cp(lm()); c.LM.FFN.RoundUp = false; return c },
		"ffn bias":     func() *Config { c := cp(lm()); c.LM.FFN.Bias = true; return c },
		"ffn up":       func() *Config { c := cp(lm()); c.LM.FFN.Up = 1; return c },
		"L heads":      func() *Config { c := cp(lg()); c.Large.NumHeads = 2; return c },
		"L bias":       func() *Config { c := cp(lg()); c.Large.UseBias = true; return c },
		"L norm eps":   func() *Config { c := cp(lg()); c.Large.NormEps = 1e-5; return c },
		"L force f32":  func() *Config { c := cp(lg()); c.Large.NormReductionForceFloat32 = false; return c },
		"L out norm":   func() *Config { c := cp(lg()); c.Large.AddOutNorm = false; return c },
		"L qk factor":  func() *Config { c := cp(lg()); c.Large.QKDimFactor = 0.25; return c },
		"L v factor":   func() *Config { c := cp(lg()); c.Large.VDimFactor = 0.5; return c },
		"L chunk":      func() *Config { c := cp(lg()); c.Large.ChunkSize = 32; return c },
		"L eps":        func() *Config { c := cp(lg()); c.Large.Eps = 1e-7; return c },
		"L ffn factor": func() *Config { c := cp(lg()); c.Large.FFNProjFactor = 2.667; return c },
		"L ffn round":  func() *Config { c := cp(lg()); c.Large.FFNRoundUpTo = 32; return c },
		"L gate cap":   func() *Config { c := cp(lg()); c.Large.GateSoftCap = 0; return c },
		"L logit cap":  func() *Config { c := cp(lg()); c.Large.OutputLogitSoftCap = 0; return c },
		"L weights":    func() *Config { c := cp(lg()); c.Large.WeightMode = "fused"; return c },
		"L tie":        func() *Config { c := cp(lg()); c.Large.TieWordEmbeddings = true; return c },
		"L qk":         func() *Config { c := cp(lg()); c.Large.QKDim = 1; return c },
		"L v":          func() *Config { c := cp(lg()); c.Large.VDim = 1; return c },
		"L dhqk":       func() *Config { c := cp(lg()); c.Large.DHQK = 1; return c },
		"L dhv":        func() *Config { c := cp(lg()); c.Large.DHV = 1; return c },
		"L ffn":        func() *Config { c := cp(lg()); c.Large.FFNDim = 1; return c },
	} {
		c := mut()
		base := lm()
		if strings.HasPrefix(name, "L ") {
			base = lg()
		}
		if c.Fingerprint() == base.Fingerprint() {
			t.Errorf("%s: fingerprint unchanged", name)
		}
		if reflect.DeepEqual(c, base) {
			t.Errorf("%s: mutation changed nothing", name)
		}
	}
	// EOS only tells generation where to stop: it is not part of the fingerprint.
	withEOS := cp(lg())
	withEOS.EOS = 3
	if withEOS.Fingerprint() != lg().Fingerprint() {
		t.Error("EOS changed the fingerprint")
	}
	// Deterministic across calls and copies.
	if a, b := lm().Fingerprint(), cp(lm()).Fingerprint(); a != b {
		t.Error("fingerprint differs for a copy")
	}
}

// TestLoadConfig checks file selection and error paths.
func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadConfig(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "config.yaml")) {
		t.Errorf("empty dir: %v", err)
	}
	large := cfgRead(t, filepath.Join(cfgTestdata, "xlstm_large.yaml"))
	// Only JSON.
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfgRead(t, filepath.Join(cfgTestdata, "xlstm_large.json")), 0o644); err != nil {
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

// cfgFuzzCheck is the property both fuzz targets check: no panic; an accepted config is valid,
// writes back as YAML, reads back equal and keeps its fingerprint.
func cfgFuzzCheck(t *testing.T, c *Config, err error) {
	if err != nil {
		var ce *ConfigError
		if c != nil || !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "config: ") {
			t.Fatalf("bad error %T %v (config %v)", err, err, c)
		}
		return
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("accepted config does not validate: %v", err)
	}
	y, err := c.YAML()
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	back, err := ParseConfigYAML(y)
	if err != nil {
		t.Fatalf("re-read: %v\n%s", err, y)
	}
	if !reflect.DeepEqual(back, c) || back.Fingerprint() != c.Fingerprint() {
		t.Fatalf("round trip\n got %+v\nwant %+v", back, c)
	}
}

func cfgFuzzSeeds(f *testing.F, ext string) {
	entries, err := os.ReadDir(cfgTestdata)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ext) {
			f.Add(cfgRead(f, filepath.Join(cfgTestdata, e.Name())))
		}
	}
}

// FuzzParseConfigYAML feeds arbitrary bytes to ParseConfigYAML: it must never panic, and what
// it accepts must validate and round-trip through Config.YAML.
func FuzzParseConfigYAML(f *testing.F) {
	cfgFuzzSeeds(f, ".yaml")
	for _, s := range []string{
		"vocab_size: 10\nnum_blocks: 2\nembedding_dim: 16\nslstm_block: {feedforward: null}\n",
		"a: &x [1]\nslstm_at: *x\n",
		"embedding_dim: 64\nnum_heads: 4\nnum_blocks: 2\nvocab_size: 128\ngate_soft_cap: ~\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfigYAML(data)
		cfgFuzzCheck(t, c, err)
	})
}

// FuzzParseConfigJSON is FuzzParseConfigYAML for ParseConfigJSON.
func FuzzParseConfigJSON(f *testing.F) {
	cfgFuzzSeeds(f, ".json")
	f.Add(cfgRead(f, filepath.Join(cfgTestdata, "hf-xlstm-7b", "config.json")))
	f.Add([]byte(`{"model_type": "xlstm", "hidden_size": 64, "num_heads": 2, "num_blocks": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfigJSON(data)
		cfgFuzzCheck(t, c, err)
	})
}
