package model

// Reading the original xLSTM LM config (xLSTMLMModelConfig, SPEC §1.1).

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// parseLM reads xLSTMLMModelConfig. The top-level embedding_dim, context_length, bias, dropout and
// num_blocks overwrite the nested ones, as the official __post_init__ does.
func parseLM(root *yaml.Node) (*Config, error) {
	f, err := newFields(root, "", lmKey)
	if err != nil {
		return nil, err
	}
	c := &Config{Family: FamilyLM}
	c.VocabSize = f.int("vocab_size", -1)
	c.EOS = extEOS(f)
	c.BOS, c.ForceBOS = extBOS(f)
	c.EmbeddingDim = f.int("embedding_dim", 128)
	c.NumBlocks = f.int("num_blocks", 1)
	lm := &c.LM
	lm.ContextLength = f.int("context_length", -1)
	lm.AddPostBlocksNorm = f.bool("add_post_blocks_norm", true)
	lm.Bias = f.bool("bias", false)
	lm.TieWeights = f.bool("tie_weights", false)
	f.bool("weight_decay_on_embedding", false)
	f.bool("add_embedding_dropout", false)
	f.dropout("dropout")
	if n := f.get("_block_map"); n != nil && !isNull(n) && !isStr(n) {
		f.typeErr("_block_map", "a string or null (it is recomputed)", n)
	}
	if f.err != nil {
		return nil, f.err
	}
	// Sizes must be sane before anything is allocated from them.
	if c.NumBlocks <= 0 || c.NumBlocks > maxBlocks {
		return nil, keyErr("num_blocks", "%d is not in [1, %d]", c.NumBlocks, maxBlocks)
	}

	var mb, sb *yaml.Node
	if n := f.get("mlstm_block"); n != nil && !isNull(n) {
		mb = n
	}
	if n := f.get("slstm_block"); n != nil && !isNull(n) {
		sb = n
	}
	if f.err != nil {
		return nil, f.err
	}
	if mb != nil {
		if err := parseMLSTMBlock(mb, &lm.MLSTM); err != nil {
			return nil, err
		}
	}
	if sb != nil {
		if lm.FFN, err = parseSLSTMBlock(sb, &lm.SLSTM); err != nil {
			return nil, err
		}
	}

	all, at, err := parseSLSTMAt(f)
	if err != nil {
		return nil, err
	}
	// Without an mLSTM block slstm_at is forced to "all", as upstream does.
	if mb == nil {
		all = true
	}
	lm.BlockIsSLSTM = make([]bool, c.NumBlocks)
	if all {
		at = nil
		for i := range lm.BlockIsSLSTM {
			lm.BlockIsSLSTM[i] = true
		}
	}
	for i, v := range at {
		ip := fmt.Sprintf("slstm_at[%d]", i)
		if v < 0 || v >= c.NumBlocks {
			return nil, keyErr(ip, "block index %d out of range [0, %d) (num_blocks=%d)", v, c.NumBlocks, c.NumBlocks)
		}
		if lm.BlockIsSLSTM[v] {
			return nil, keyErr(ip, "block index %d listed twice", v)
		}
		lm.BlockIsSLSTM[v] = true
	}
	anyS := all || len(at) > 0
	if anyS && sb == nil {
		if mb == nil {
			return nil, keyErr("slstm_block", "required: without mlstm_block every block is an sLSTM block (slstm_at is forced to \"all\")")
		}
		return nil, keyErr("slstm_block", "required: slstm_at places sLSTM blocks")
	}
	return c, nil
}

// parseSLSTMAt reads slstm_at: a list of block indices, or "all".
func parseSLSTMAt(f *fields) (all bool, at []int, err error) {
	n := f.get("slstm_at")
	if f.err != nil || n == nil {
		return false, nil, f.err
	}
	if isStr(n) && n.Value == "all" {
		return true, nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return false, nil, keyErr("slstm_at", "want a list of block indices or \"all\", got %s (line %d)", describe(n), n.Line)
	}
	for i, it := range n.Content {
		ip := fmt.Sprintf("slstm_at[%d]", i)
		it, err := deref(it, ip)
		if err != nil {
			return false, nil, err
		}
		v, ok := scalarInt(it)
		if !ok {
			return false, nil, keyErr(ip, "want a block index (integer), got %s (line %d)", describe(it), it.Line)
		}
		at = append(at, v)
	}
	return false, at, nil
}

// parseMLSTMBlock reads mlstm_block (mLSTMBlockConfig) into m.
func parseMLSTMBlock(n *yaml.Node, m *MLSTMConfig) error {
	f, err := newFields(n, "mlstm_block", mlstmBlockKey)
	if err != nil {
		return err
	}
	f.ignoredInts("_num_blocks", "_block_idx")
	lf, err := f.sub("mlstm", mlstmLayerKey)
	if err != nil {
		return err
	}
	m.ConvKernelSize = lf.int("conv1d_kernel_size", 4)
	m.QKVProjBlockSize = lf.int("qkv_proj_blocksize", 4)
	m.NumHeads = lf.int("num_heads", 4)
	m.ProjFactor = lf.float("proj_factor", 2.0)
	m.RoundUp = lf.bool("round_proj_up_dim_up", true)
	m.RoundUpTo = lf.int("round_proj_up_to_multiple_of", 64)
	// Set from the top level by xLSTMBlockStackConfig.__post_init__; only type-checked here.
	lf.int("embedding_dim", -1)
	lf.bool("bias", false)
	lf.dropout("dropout")
	lf.int("context_length", -1)
	lf.ignoredInts("_num_blocks", "_proj_up_dim", "_inner_embedding_dim")
	return lf.err
}

// parseSLSTMBlock reads slstm_block (sLSTMBlockConfig) into s and returns its feed-forward:
// absent gives the default FeedForwardConfig, null gives none (nil).
func parseSLSTMBlock(n *yaml.Node, s *SLSTMConfig) (*FFNConfig, error) {
	f, err := newFields(n, "slstm_block", slstmBlockKey)
	if err != nil {
		return nil, err
	}
	f.ignoredInts("_num_blocks", "_block_idx")
	lf, err := f.sub("slstm", slstmLayerKey)
	if err != nil {
		return nil, err
	}
	s.NumHeads = lf.int("num_heads", 4)
	s.ConvKernelSize = lf.int("conv1d_kernel_size", 4)
	s.Backend = lf.enum("backend", "cuda", slstmBackends())
	s.GroupNormWeight = lf.bool("group_norm_weight", true)
	// Fields that do not change the inference math are type-checked; the few values that
	// would change it in ways this implementation does not follow are refused.
	if fn := lf.str("function", "slstm"); lf.err == nil && fn != "slstm" {
		lf.fail("function", "%q is not supported (only \"slstm\"; \"lstm\" is a plain LSTM cell)", fn)
	}
	if g := lf.int("num_gates", 4); lf.err == nil && g != 4 {
		lf.fail("num_gates", "%d is not supported (the sLSTM has 4 gates)", g)
	}
	lf.enum("input_shape", "BSGNH", []string{"BSGNH"})
	lf.enum("output_shape", "BNSH", []string{"BNSH"})
	lf.enum("internal_input_shape", "SBNGH", internalInputShapes())
	lf.enum("bias_init", "powerlaw_blockdependent", biasInits())
	lf.enum("recurrent_weight_init", "zeros", recurrentInits())
	lf.bool("gradient_recurrent_cut", false)
	lf.optFloat("gradient_recurrent_clipval", 0, false)
	lf.optFloat("forward_clipval", 0, false)
	lf.int("batch_size", 8)
	lf.mapping("constants")
	lf.enum("dtype", "bfloat16", dtypeNames())
	for _, k := range []string{"dtype_b", "dtype_r", "dtype_w", "dtype_g", "dtype_s", "dtype_a"} {
		lf.optEnum(k, dtypeNames())
	}
	lf.bool("enable_automatic_mixed_precision", true)
	if iv := lf.get("initial_val"); iv != nil && !scalarOrList(iv, isFloat) {
		lf.typeErr("initial_val", "a number or a list of numbers", iv)
	}
	// Set from the top level (hidden_size = embedding_dim); only type-checked here.
	lf.ignoredInts("hidden_size", "num_states", "_block_idx", "_num_blocks")
	lf.int("embedding_dim", -1)
	lf.dropout("dropout")
	if lf.err != nil {
		return nil, lf.err
	}

	if fn := f.get("feedforward"); fn != nil && isNull(fn) {
		return nil, nil
	}
	ff, err := f.sub("feedforward", ffnKey)
	if err != nil {
		return nil, err
	}
	c := &FFNConfig{}
	c.ProjFactor = ff.float("proj_factor", 1.3)
	c.ActFn = ff.str("act_fn", "gelu")
	c.RoundUp = ff.bool("round_proj_up_dim_up", true)
	c.RoundUpTo = ff.int("round_proj_up_to_multiple_of", 64)
	c.Bias = ff.bool("bias", false)
	ff.enum("ff_type", "ffn_gated", []string{"ffn_gated"})
	ff.int("embedding_dim", -1)
	ff.dropout("dropout")
	ff.ignoredInts("_proj_up_dim", "_num_blocks")
	if ff.err != nil {
		return nil, ff.err
	}
	return c, nil
}
