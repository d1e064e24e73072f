package model

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// cfgRoundTripInputs are configs used by the round-trip and fingerprint tests: ours, and the
// shared ones when the shared folder is present.
func cfgRoundTripInputs(t *testing.T) map[string]*Config {
	out := map[string]*Config{"lm": cfgParseYAML(t, cfgLMYAML), "large": cfgParseYAML(t, cfgLargeYAML),
		"large-json": cfgParseJSON(t, cfgLargeJSON)}
	c, err := LoadConfig(cfgHF7B)
	if err != nil {
		t.Fatal(err)
	}
	out["hf-xlstm-7b"] = c
	for name, data := range cfgSharedSources(t) {
		if strings.HasSuffix(name, ".json") {
			out[name] = cfgParseJSON(t, string(data))
		} else {
			out[name] = cfgParseYAML(t, string(data))
		}
	}
	for name, y := range map[string]string{
		"mlstm-only": cfgMLSTMOnlyYAML,
		"ffn-null":   "vocab_size: 10\ncontext_length: 8\nembedding_dim: 32\nnum_blocks: 2\nslstm_at: [0]\nmlstm_block: {}\nslstm_block: {feedforward: null}\n",
		"all-slstm":  "vocab_size: 10\nembedding_dim: 32\nnum_blocks: 2\nslstm_block: {slstm: {num_heads: 2, conv1d_kernel_size: 0, group_norm_weight: false}}\n",
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
	// Floats are written so that YAML 1.1 (PyYAML) reads them as floats too.
	c := cfgParseYAML(t, cfgLargeYAML)
	c.Large.OutputLogitSoftCap = 1e21
	y, _ := c.YAML()
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
	c = cfgParseYAML(t, cfgMLSTMOnlyYAML)
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
		// Across the inputs: equal fingerprints exactly for configs equal but for EOS
		// (e.g. the HF 7B config.json and the bench xlstm-7b.yaml are the same model).
		for other, d := range inputs {
			c2, d2 := *c, *d
			c2.EOS, d2.EOS = 0, 0
			c2.BOS, d2.BOS = 0, 0
			c2.ForceBOS, d2.ForceBOS = false, false
			if eq, same := reflect.DeepEqual(&c2, &d2), fp == d.Fingerprint(); eq != same {
				t.Errorf("%s vs %s: configs equal %v, fingerprints equal %v", name, other, eq, same)
			}
		}
	}
	lm := func() *Config { return inputs["lm"] }
	cp := func(c *Config) *Config {
		d := *c
		d.LM.BlockIsSLSTM = append([]bool(nil), c.LM.BlockIsSLSTM...)
		if c.LM.FFN != nil {
			f := *c.LM.FFN
			d.LM.FFN = &f
		}
		return &d
	}
	lg := func() *Config { return inputs["large"] }
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
	// Special tokens only steer generation: they are not part of the fingerprint.
	withEOS := cp(lg())
	withEOS.EOS, withEOS.BOS, withEOS.ForceBOS = 3, 1, true
	if withEOS.Fingerprint() != lg().Fingerprint() {
		t.Error("EOS changed the fingerprint")
	}
	// Deterministic across calls and copies.
	if a, b := lm().Fingerprint(), cp(lm()).Fingerprint(); a != b {
		t.Error("fingerprint differs for a copy")
	}
}
