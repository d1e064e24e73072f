package model

import (
	"errors"
	"math"
	"strings"
	"testing"
)

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
		{name: "json HF with LM key", json: `{"model_type": "xlstm", "slstm_at": [1]}`, want: []string{"unknown key", "slstm_at"}},
		{name: "json HF with add_qk_norm", json: `{"model_type": "xlstm", "add_qk_norm": true}`, want: []string{"add_qk_norm", "not supported"}},
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
	base := func() *Config { return cfgParseYAML(t, cfgLMYAML) }
	baseL := func() *Config { return cfgParseYAML(t, cfgLargeYAML) }
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
	c.LM.BlockIsSLSTM = make([]bool, c.NumBlocks)
	c.LM.SLSTM.NumHeads = 5
	if err := c.Validate(); err != nil {
		t.Errorf("unused sLSTM config: %v", err)
	}
}
