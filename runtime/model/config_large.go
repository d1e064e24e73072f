package model

// Reading xLSTM Large configs: xLSTMLargeConfig (SPEC §1.2) and the Hugging Face transformers
// xLSTMConfig config.json, which describes the same model with other defaults and aliases.

import "gopkg.in/yaml.v3"

// parseLarge reads xLSTMLargeConfig (hf=false; embedding_dim, num_heads, num_blocks and
// vocab_size are required) or the transformers xLSTMConfig (hf=true; its defaults, the
// hidden_size/num_hidden_layers aliases and the PretrainedConfig bookkeeping keys).
func parseLarge(root *yaml.Node, hf bool) (*Config, error) {
	known := largeKey
	if hf {
		known = hfKey
	}
	f, err := newFields(root, "", known)
	if err != nil {
		return nil, err
	}
	c := &Config{Family: FamilyLarge}
	g := &c.Large
	ffnDef := 2.6667 // xLSTMLargeConfig; transformers rounds it to 2.667
	if hf {
		ffnDef = 2.667
		if n := f.get("model_type"); n != nil && (!isStr(n) || n.Value != "xlstm") {
			return nil, keyErr("model_type", "want \"xlstm\", got %s", describe(n))
		}
		if n := f.get("architectures"); n != nil && !isNull(n) && (n.Kind != yaml.SequenceNode || !scalarOrList(n, isStr)) {
			f.typeErr("architectures", "a list of strings", n)
		}
		c.EmbeddingDim = pickAlias(f, "hidden_size", "embedding_dim", 4096)
		c.NumBlocks = pickAlias(f, "num_hidden_layers", "num_blocks", 32)
		c.VocabSize = f.int("vocab_size", 50304)
		g.NumHeads = f.int("num_heads", 8)
		f.bool("use_cache", true)
		f.int("max_inference_chunksize", 16384)
		f.optInt("pad_token_id")
		c.BOS = 0
		if v, ok := f.optInt("bos_token_id"); ok {
			c.BOS = v
		} else if f.has("bos_token_id") {
			c.BOS = -1 // null
		}
		c.ForceBOS = f.bool("force_bos_token_insert", true) && c.BOS >= 0
		c.EOS = hfEOS(f)
		hfHistorical(f)
		for _, k := range f.order {
			if hfStandardKey(k) {
				f.anyValue(k)
			}
		}
	} else {
		c.EOS = extEOS(f)
		c.BOS, c.ForceBOS = extBOS(f)
		c.EmbeddingDim = f.reqInt("embedding_dim")
		g.NumHeads = f.reqInt("num_heads")
		c.NumBlocks = f.reqInt("num_blocks")
		c.VocabSize = f.reqInt("vocab_size")
	}
	g.UseBias = f.bool("use_bias", false)
	g.NormEps = f.float("norm_eps", 1e-6)
	g.NormReductionForceFloat32 = f.bool("norm_reduction_force_float32", true)
	g.AddOutNorm = f.bool("add_out_norm", true)
	g.QKDimFactor = f.float("qk_dim_factor", 0.5)
	g.VDimFactor = f.float("v_dim_factor", 1.0)
	g.ChunkSize = f.int("chunk_size", 64)
	g.Eps = f.float("eps", 1e-6)
	g.FFNProjFactor = f.float("ffn_proj_factor", ffnDef)
	g.FFNRoundUpTo = f.int("ffn_round_up_to_multiple_of", 64)
	g.GateSoftCap = softCap(f, "gate_soft_cap", 15.0)
	g.OutputLogitSoftCap = softCap(f, "output_logit_soft_cap", 30.0)
	g.WeightMode = f.str("weight_mode", "single")
	g.TieWordEmbeddings = f.bool("tie_word_embeddings", false)
	// Backend choices of the Python kernels: type-checked, not kept.
	f.str("chunkwise_kernel", "")
	f.str("sequence_kernel", "")
	f.str("step_kernel", "")
	f.enum("mode", "inference", backendModes())
	f.bool("return_last_states", false)
	f.enum("autocast_kernel_dtype", "bfloat16", dtypeNames())
	f.enum("inference_state_dtype", "float32", dtypeNames())
	if f.err != nil {
		return nil, f.err
	}
	return c, nil
}

// hfHistorical checks the fields older NX-AI configs carry (the published
// xLSTM-7b config.json has them): those that would change the math must be
// off, the rest (training, padding and init settings) are type-checked.
func hfHistorical(f *fields) {
	for _, k := range []string{"add_post_norm", "add_qk_norm"} {
		if f.bool(k, false) {
			f.fail(k, "true is not supported (the official xLSTM Large has no such norm)")
		}
	}
	f.bool("add_embedding_dropout", false)
	f.bool("add_forward_backend_padding", false)
	f.bool("add_post_blocks_norm", true)
	f.dropout("embedding_dropout")
	f.float("cell_norm_eps", 1e-6)
	f.float("igate_bias_init_range", -10)
	f.int("mlstm_round_up_to_multiple_of", 64)
	f.optInt("head_dim")
}

// extEOS reads the eos_token_id extension of the official configs (both families): an integer,
// or null/absent for none (-1).
func extEOS(f *fields) int {
	v, ok := f.optInt("eos_token_id")
	if !ok {
		return -1
	}
	return v
}

// extBOS reads the bos_token_id and force_bos_token_insert extensions of the
// official configs: no BOS (-1) and no insertion unless given.
func extBOS(f *fields) (int, bool) {
	bos, ok := f.optInt("bos_token_id")
	if !ok {
		bos = -1
	}
	force := f.bool("force_bos_token_insert", false)
	if force && bos < 0 {
		f.fail("force_bos_token_insert", "true needs a bos_token_id")
	}
	return bos, force
}

// hfEOS reads the transformers eos_token_id: an integer, a list of integers (the first one is
// kept), or null for none; the xLSTMConfig default is 2.
func hfEOS(f *fields) int {
	n := f.get("eos_token_id")
	if n == nil {
		return 2
	}
	if isNull(n) {
		return -1
	}
	if !scalarOrList(n, isInt) {
		f.typeErr("eos_token_id", "an integer, a list of integers or null", n)
		return -1
	}
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			return -1
		}
		n, _ = deref(n.Content[0], "eos_token_id")
	}
	v, _ := scalarInt(n)
	return v
}

// pickAlias reads two keys that name the same integer (hidden_size/embedding_dim,
// num_hidden_layers/num_blocks); they must agree when both are set.
func pickAlias(f *fields, a, b string, def int) int {
	va, okA := f.optInt(a)
	vb, okB := f.optInt(b)
	switch {
	case okA && okB && va != vb:
		f.fail(b, "%d disagrees with %s=%d", vb, a, va)
		return va
	case okA:
		return va
	case okB:
		return vb
	}
	return def
}

// softCap reads a soft cap: a positive number, or null for none (stored as 0).
func softCap(f *fields, key string, def float64) float64 {
	v, set := f.optFloat(key, def, true)
	if !set {
		return 0
	}
	if f.err == nil && !(v > 0) {
		f.fail(key, "%v is not allowed (a soft cap is a positive number, or null for none)", v)
	}
	return v
}
