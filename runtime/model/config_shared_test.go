package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
)

// Tests on the shared reference and bench configs. They are read in place from the shared folder
// (never copied into the repo) and the tests skip when it is absent.

// cfgSharedSources returns the shared config files, keyed by their path under the shared folder,
// and the resolved_top_config of each original-LM reference set's meta.json (the fully resolved
// config the official code dumped) as "<set>/resolved_top_config.json". It is empty without the
// shared folder; files missing from it are left out.
func cfgSharedSources(tb testing.TB) map[string][]byte {
	tb.Helper()
	root := testref.Shared()
	out := map[string][]byte{}
	if root == "" {
		return out
	}
	files := []string{"bench/bench-small.yaml", "bench/bench-large.yaml", "bench/xlstm-7b.yaml",
		"xlstm/reference/xlstm_large/config.json"}
	for _, n := range testref.ReferenceSets() {
		files = append(files, "xlstm/reference/"+n+"/config.yaml")
	}
	for _, f := range files {
		if b, err := os.ReadFile(filepath.Join(root, f)); err == nil {
			out[f] = b
		}
	}
	for _, n := range testref.ReferenceSets() {
		if b, err := os.ReadFile(filepath.Join(root, "xlstm/reference", n, "meta.json")); err == nil {
			var meta struct {
				Resolved json.RawMessage `json:"resolved_top_config"`
			}
			if err := json.Unmarshal(b, &meta); err != nil {
				tb.Fatalf("%s/meta.json: %v", n, err)
			}
			if len(meta.Resolved) > 0 && string(meta.Resolved) != "null" {
				out["xlstm/reference/"+n+"/resolved_top_config.json"] = meta.Resolved
			}
		}
	}
	return out
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

// TestConfigBench checks the shared bench configs and their derived sizes.
func TestConfigBench(t *testing.T) {
	bench := testref.Dir(t, "bench")
	small := cfgParseYAML(t, string(cfgRead(t, filepath.Join(bench, "bench-small.yaml"))))
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
	// The bench-small YAML as written back.
	y, err := small.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"slstm_at: [1, 5]", "proj_factor: 2.0", "proj_factor: 1.3", "backend: vanilla", "act_fn: gelu"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("YAML lacks %q:\n%s", want, y)
		}
	}
	for _, tc := range []struct {
		file                    string
		d, nh, qk, v, dqk, dv   int
		ffn, vocab, blocks, chk int
	}{
		{"bench/bench-large.yaml", 512, 4, 256, 512, 64, 128, 1408, 50304, 6, 64},
		{"bench/xlstm-7b.yaml", 4096, 8, 2048, 4096, 256, 512, 10944, 50304, 32, 64},
		{"xlstm/reference/xlstm_large/config.yaml", 64, 4, 32, 64, 8, 16, 192, 128, 2, 16},
	} {
		p := filepath.Join(testref.Shared(), tc.file)
		if _, err := os.Stat(p); err != nil {
			t.Logf("%s: %v (skipped)", tc.file, err)
			continue
		}
		c := cfgParseYAML(t, string(cfgRead(t, p)))
		g := c.Large
		if c.Family != FamilyLarge || c.EmbeddingDim != tc.d || g.NumHeads != tc.nh || g.QKDim != tc.qk || g.VDim != tc.v ||
			g.DHQK != tc.dqk || g.DHV != tc.dv || g.FFNDim != tc.ffn || c.VocabSize != tc.vocab || c.NumBlocks != tc.blocks ||
			g.ChunkSize != tc.chk || g.GateSoftCap != 15 || g.OutputLogitSoftCap != 30 || g.WeightMode != "single" ||
			!g.AddOutNorm || g.UseBias || g.NormEps != 1e-6 || g.Eps != 1e-6 || g.TieWordEmbeddings {
			t.Errorf("%s: %+v", tc.file, c)
		}
	}
	// Our HF config.json is the bench 7B shape; the one field it adds is eos_token_id.
	want := cfgParseYAML(t, string(cfgRead(t, filepath.Join(bench, "xlstm-7b.yaml"))))
	if want.EOS != -1 {
		t.Fatalf("xlstm-7b.yaml EOS %d, want -1 (none)", want.EOS)
	}
	want.EOS, want.BOS, want.ForceBOS = 2, 0, true
	got, err := LoadConfig(cfgHF7B)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("HF config.json\n got %+v\nwant %+v", got, want)
	}
}
