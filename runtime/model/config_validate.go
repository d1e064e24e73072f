package model

// Derived sizes (SPEC §1) and validation of a Config.

import (
	"fmt"
	"math"
)

// Sanity limits. The official code has none; they keep every derived size far away from
// integer overflow and from allocations that cannot be meant.
const (
	maxDim    = 1 << 20 // embedding_dim, num_heads, block sizes, roundings
	maxVocab  = 1 << 26
	maxBlocks = 1 << 16
	maxFactor = 1024.0 // proj_factor, qk/v/ffn factors
)

// upProjDim is UpProjConfigMixin._set_proj_up_dim: ceil (or floor when !roundUp) of
// proj_factor*D / multiple, times multiple. ok is false when it cannot be computed.
func upProjDim(projFactor float64, d, multiple int, roundUp bool) (int, bool) {
	if multiple <= 0 || math.IsNaN(projFactor) || math.IsInf(projFactor, 0) {
		return 0, false
	}
	m := projFactor * float64(d) / float64(multiple)
	if roundUp {
		m = math.Ceil(m)
	} else {
		m = math.Floor(m)
	}
	r := m * float64(multiple)
	if !(math.Abs(r) < 1<<40) {
		return 0, false
	}
	return int(m) * multiple, true
}

// pyFloorDiv is Python's float floor division a // b (b != 0), which is not always floor(a/b).
func pyFloorDiv(a, b float64) float64 {
	mod := math.Mod(a, b)
	div := (a - mod) / b
	if mod != 0 && (b < 0) != (mod < 0) {
		div -= 1.0
	}
	if div == 0 {
		return math.Copysign(0, a/b)
	}
	fl := math.Floor(div)
	if div-fl > 0.5 {
		fl += 1.0
	}
	return fl
}

// pyInt is Python int(x) for a finite float well inside the int range; ok false otherwise.
func pyInt(x float64) (int, bool) {
	if !(math.Abs(x) < 1<<40) {
		return 0, false
	}
	return int(math.Trunc(x)), true
}

// largeFFNDim is round_up_to_next_multiple_of(D*ffn_proj_factor, m) = int(((x + m-1)//m)*m).
func largeFFNDim(d int, factor float64, m int) (int, bool) {
	if m <= 0 || math.IsNaN(factor) || math.IsInf(factor, 0) {
		return 0, false
	}
	x := float64(d) * factor
	return pyInt(pyFloorDiv(x+float64(m-1), float64(m)) * float64(m))
}

// resolved returns copies of the derived fields computed from the base fields
// (zero where they cannot be computed).
func (c *Config) resolved() (MLSTMConfig, SLSTMConfig, *FFNConfig, LargeConfig) {
	m, s, g := c.LM.MLSTM, c.LM.SLSTM, c.Large
	d := c.EmbeddingDim
	m.Inner, m.HeadDim = 0, 0
	if in, ok := upProjDim(m.ProjFactor, d, m.RoundUpTo, m.RoundUp); ok {
		m.Inner = in
	}
	if m.NumHeads > 0 {
		m.HeadDim = m.Inner / m.NumHeads
	}
	s.HeadDim = 0
	if s.NumHeads > 0 {
		s.HeadDim = d / s.NumHeads
	}
	var ffn *FFNConfig
	if c.LM.FFN != nil {
		cp := *c.LM.FFN
		cp.Up = 0
		if up, ok := upProjDim(cp.ProjFactor, d, cp.RoundUpTo, cp.RoundUp); ok {
			cp.Up = up
		}
		ffn = &cp
	}
	g.QKDim, g.VDim, g.DHQK, g.DHV, g.FFNDim = 0, 0, 0, 0, 0
	if v, ok := pyInt(float64(d) * g.QKDimFactor); ok {
		g.QKDim = v
	}
	if v, ok := pyInt(float64(d) * g.VDimFactor); ok {
		g.VDim = v
	}
	if g.NumHeads > 0 {
		g.DHQK = g.QKDim / g.NumHeads
		g.DHV = g.VDim / g.NumHeads
	}
	if v, ok := largeFFNDim(d, g.FFNProjFactor, g.FFNRoundUpTo); ok {
		g.FFNDim = v
	}
	return m, s, ffn, g
}

// resolve fills the derived sizes of the active family.
func (c *Config) resolve() {
	m, s, ffn, g := c.resolved()
	switch c.Family {
	case FamilyLM:
		c.LM.MLSTM, c.LM.SLSTM, c.LM.FFN = m, s, ffn
	case FamilyLarge:
		c.Large = g
	}
}

// Validate reports shapes the model cannot have, naming the key (official key names):
// non-positive sizes, head counts that do not divide their dimension, conv kernel size 1 or
// negative, an out-of-range block map, unknown activation/backend/weight-mode names, a missing
// context_length with mLSTM blocks, an EOS outside the vocabulary, and derived sizes that
// disagree with SPEC §1. Sub-configs of the original LM are checked only when a block uses them.
func (c *Config) Validate() error {
	if c == nil {
		return &ConfigError{Msg: "nil config"}
	}
	if err := checkRange("vocab_size", c.VocabSize, 1, maxVocab); err != nil {
		return err
	}
	if err := checkRange("embedding_dim", c.EmbeddingDim, 1, maxDim); err != nil {
		return err
	}
	if err := checkRange("num_blocks", c.NumBlocks, 1, maxBlocks); err != nil {
		return err
	}
	if c.EOS != -1 && (c.EOS < 0 || c.EOS >= c.VocabSize) {
		return keyErr("eos_token_id", "%d is not a token id in [0, %d) (or -1 for none)", c.EOS, c.VocabSize)
	}
	if c.BOS != -1 && (c.BOS < 0 || c.BOS >= c.VocabSize) {
		return keyErr("bos_token_id", "%d is not a token id in [0, %d) (or -1 for none)", c.BOS, c.VocabSize)
	}
	if c.ForceBOS && c.BOS < 0 {
		return keyErr("force_bos_token_insert", "true needs a bos_token_id")
	}
	switch c.Family {
	case FamilyLM:
		return c.validateLM()
	case FamilyLarge:
		return c.validateLarge()
	}
	return &ConfigError{Key: "family", Msg: fmt.Sprintf("family: unknown model family %d", int(c.Family))}
}

// checkRange checks an integer size against [lo, hi].
func checkRange(key string, v, lo, hi int) error {
	if v < lo || v > hi {
		if v < 1 && lo == 1 {
			return keyErr(key, "must be positive, got %d", v)
		}
		return keyErr(key, "%d is not in [%d, %d]", v, lo, hi)
	}
	return nil
}

// checkFactor checks a multiplier of a dimension; NaN fails too.
func checkFactor(key string, v float64) error {
	if !(v > 0 && v <= maxFactor) {
		return keyErr(key, "%v is not in (0, %v]", v, maxFactor)
	}
	return nil
}

// checkConv checks a conv1d kernel size.
func checkConv(key string, k int) error {
	if k < 0 || k == 1 || k > maxDim {
		return keyErr(key, "%d is not allowed (0 = no conv, or 2…%d; the official code breaks on 1)", k, maxDim)
	}
	return nil
}

// validateLM checks the original-LM fields.
func (c *Config) validateLM() error {
	lm := &c.LM
	d := c.EmbeddingDim
	if len(lm.BlockIsSLSTM) != c.NumBlocks {
		return keyErr("slstm_at", "block map has %d entries, num_blocks is %d", len(lm.BlockIsSLSTM), c.NumBlocks)
	}
	anyM, anyS := false, false
	for _, s := range lm.BlockIsSLSTM {
		anyS = anyS || s
		anyM = anyM || !s
	}
	m, s, ffn, _ := c.resolved()
	if anyM {
		const p = "mlstm_block.mlstm."
		if lm.ContextLength <= 0 {
			return keyErr("context_length", "must be positive when there are mLSTM blocks, got %d", lm.ContextLength)
		}
		mc := &lm.MLSTM
		if err := checkRange(p+"num_heads", mc.NumHeads, 1, maxDim); err != nil {
			return err
		}
		if err := checkRange(p+"qkv_proj_blocksize", mc.QKVProjBlockSize, 1, maxDim); err != nil {
			return err
		}
		if err := checkConv(p+"conv1d_kernel_size", mc.ConvKernelSize); err != nil {
			return err
		}
		if err := checkFactor(p+"proj_factor", mc.ProjFactor); err != nil {
			return err
		}
		if err := checkRange(p+"round_proj_up_to_multiple_of", mc.RoundUpTo, 1, maxDim); err != nil {
			return err
		}
		if m.Inner <= 0 {
			return keyErr(p+"proj_factor", "inner dim %d (proj_factor %v × embedding_dim %d, rounded to a multiple of %d) is not positive",
				m.Inner, mc.ProjFactor, d, mc.RoundUpTo)
		}
		if m.Inner%mc.NumHeads != 0 {
			return keyErr(p+"num_heads", "inner dim %d is not divisible by num_heads %d", m.Inner, mc.NumHeads)
		}
		if m.Inner%mc.QKVProjBlockSize != 0 {
			return keyErr(p+"qkv_proj_blocksize", "inner dim %d is not divisible by qkv_proj_blocksize %d", m.Inner, mc.QKVProjBlockSize)
		}
		if mc.Inner != m.Inner || mc.HeadDim != m.HeadDim {
			return keyErr(p+"_inner_embedding_dim", "derived sizes Inner=%d HeadDim=%d, want %d and %d", mc.Inner, mc.HeadDim, m.Inner, m.HeadDim)
		}
	}
	if anyS {
		const p = "slstm_block.slstm."
		sc := &lm.SLSTM
		if err := checkRange(p+"num_heads", sc.NumHeads, 1, maxDim); err != nil {
			return err
		}
		if d%sc.NumHeads != 0 {
			return keyErr(p+"num_heads", "embedding_dim %d is not divisible by num_heads %d", d, sc.NumHeads)
		}
		if err := checkConv(p+"conv1d_kernel_size", sc.ConvKernelSize); err != nil {
			return err
		}
		if err := checkOneOf(p+"backend", sc.Backend, slstmBackends()); err != nil {
			return err
		}
		if sc.HeadDim != s.HeadDim {
			return keyErr(p+"num_heads", "derived head dim %d, want %d", sc.HeadDim, s.HeadDim)
		}
		if fc := lm.FFN; fc != nil {
			const q = "slstm_block.feedforward."
			if err := checkFactor(q+"proj_factor", fc.ProjFactor); err != nil {
				return err
			}
			if err := checkOneOf(q+"act_fn", fc.ActFn, actFns()); err != nil {
				return err
			}
			if err := checkRange(q+"round_proj_up_to_multiple_of", fc.RoundUpTo, 1, maxDim); err != nil {
				return err
			}
			if ffn.Up <= 0 {
				return keyErr(q+"proj_factor", "FFN dim %d (proj_factor %v × embedding_dim %d, rounded to a multiple of %d) is not positive",
					ffn.Up, fc.ProjFactor, d, fc.RoundUpTo)
			}
			if fc.Up != ffn.Up {
				return keyErr(q+"_proj_up_dim", "derived FFN dim %d, want %d", fc.Up, ffn.Up)
			}
		}
	}
	return nil
}

// validateLarge checks the xLSTM Large fields.
func (c *Config) validateLarge() error {
	g := &c.Large
	if err := checkRange("num_heads", g.NumHeads, 1, maxDim); err != nil {
		return err
	}
	if err := checkFactor("qk_dim_factor", g.QKDimFactor); err != nil {
		return err
	}
	if err := checkFactor("v_dim_factor", g.VDimFactor); err != nil {
		return err
	}
	if err := checkFactor("ffn_proj_factor", g.FFNProjFactor); err != nil {
		return err
	}
	if err := checkRange("ffn_round_up_to_multiple_of", g.FFNRoundUpTo, 1, maxDim); err != nil {
		return err
	}
	if err := checkRange("chunk_size", g.ChunkSize, 1, maxInt32); err != nil {
		return err
	}
	if err := checkOneOf("weight_mode", g.WeightMode, weightModes()); err != nil {
		return err
	}
	for _, e := range []struct {
		key string
		v   float64
	}{{"norm_eps", g.NormEps}, {"eps", g.Eps}} {
		if !(e.v >= 0 && e.v < 1) {
			return keyErr(e.key, "%v is not in [0, 1)", e.v)
		}
	}
	for _, e := range []struct {
		key string
		v   float64
	}{{"gate_soft_cap", g.GateSoftCap}, {"output_logit_soft_cap", g.OutputLogitSoftCap}} {
		if !(e.v >= 0 && e.v < math.Inf(1)) {
			return keyErr(e.key, "%v is not allowed (a positive number, or 0/null for none)", e.v)
		}
	}
	_, _, _, r := c.resolved()
	if r.QKDim <= 0 {
		return keyErr("qk_dim_factor", "qk_dim = int(%d × %v) = %d is not positive", c.EmbeddingDim, g.QKDimFactor, r.QKDim)
	}
	if r.VDim <= 0 {
		return keyErr("v_dim_factor", "v_dim = int(%d × %v) = %d is not positive", c.EmbeddingDim, g.VDimFactor, r.VDim)
	}
	if r.QKDim%g.NumHeads != 0 {
		return keyErr("num_heads", "qk_dim %d is not divisible by num_heads %d", r.QKDim, g.NumHeads)
	}
	if r.VDim%g.NumHeads != 0 {
		return keyErr("num_heads", "v_dim %d is not divisible by num_heads %d", r.VDim, g.NumHeads)
	}
	if r.FFNDim <= 0 {
		return keyErr("ffn_proj_factor", "FFN dim %d is not positive", r.FFNDim)
	}
	if g.QKDim != r.QKDim || g.VDim != r.VDim || g.DHQK != r.DHQK || g.DHV != r.DHV || g.FFNDim != r.FFNDim {
		return keyErr("embedding_dim", "derived sizes qk=%d v=%d dqk=%d dv=%d ffn=%d, want %d %d %d %d %d",
			g.QKDim, g.VDim, g.DHQK, g.DHV, g.FFNDim, r.QKDim, r.VDim, r.DHQK, r.DHV, r.FFNDim)
	}
	return nil
}
