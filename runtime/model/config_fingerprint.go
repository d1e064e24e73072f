package model

// Fingerprint and YAML writing of a Config.

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// fingerprintVersion names the canonical encoding; change it when the encoding changes.
const fingerprintVersion = "xlstm-go/config-fingerprint/v1"

// Fingerprint returns the SHA-256 of a canonical, versioned encoding of every field of the active
// family (sizes, derived sizes, flags, eps values, soft caps, block map, activation …), so that
// state saved for one model can be refused by another. It is deterministic, and two configs that
// differ in any such field have different fingerprints. Fields of the inactive family are ignored,
// and so is EOS (it only tells generation where to stop).
func (c *Config) Fingerprint() [32]byte {
	var b strings.Builder
	b.WriteString(fingerprintVersion)
	b.WriteByte('\n')
	kv := func(k string, v any) {
		b.WriteString(k)
		b.WriteByte('=')
		switch x := v.(type) {
		case int:
			b.WriteString(strconv.Itoa(x))
		case bool:
			b.WriteString(strconv.FormatBool(x))
		case float64:
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		case string:
			b.WriteString(strconv.Quote(x))
		}
		b.WriteByte('\n')
	}
	if c == nil {
		kv("nil", true)
		return sha256.Sum256([]byte(b.String()))
	}
	kv("family", c.Family.String())
	kv("family_id", int(c.Family))
	kv("vocab_size", c.VocabSize)
	kv("embedding_dim", c.EmbeddingDim)
	kv("num_blocks", c.NumBlocks)
	switch c.Family {
	case FamilyLM:
		lm := &c.LM
		kv("context_length", lm.ContextLength)
		kv("add_post_blocks_norm", lm.AddPostBlocksNorm)
		kv("bias", lm.Bias)
		kv("tie_weights", lm.TieWeights)
		bm := make([]byte, len(lm.BlockIsSLSTM))
		for i, s := range lm.BlockIsSLSTM {
			bm[i] = '0'
			if s {
				bm[i] = '1'
			}
		}
		kv("block_map", string(bm))
		m := &lm.MLSTM
		kv("mlstm.num_heads", m.NumHeads)
		kv("mlstm.conv1d_kernel_size", m.ConvKernelSize)
		kv("mlstm.qkv_proj_blocksize", m.QKVProjBlockSize)
		kv("mlstm.proj_factor", m.ProjFactor)
		kv("mlstm.round_proj_up_to_multiple_of", m.RoundUpTo)
		kv("mlstm.round_proj_up_dim_up", m.RoundUp)
		kv("mlstm.inner", m.Inner)
		kv("mlstm.head_dim", m.HeadDim)
		s := &lm.SLSTM
		kv("slstm.num_heads", s.NumHeads)
		kv("slstm.conv1d_kernel_size", s.ConvKernelSize)
		kv("slstm.backend", s.Backend)
		kv("slstm.group_norm_weight", s.GroupNormWeight)
		kv("slstm.head_dim", s.HeadDim)
		kv("ffn.present", lm.FFN != nil)
		if f := lm.FFN; f != nil {
			kv("ffn.proj_factor", f.ProjFactor)
			kv("ffn.act_fn", f.ActFn)
			kv("ffn.round_proj_up_to_multiple_of", f.RoundUpTo)
			kv("ffn.round_proj_up_dim_up", f.RoundUp)
			kv("ffn.bias", f.Bias)
			kv("ffn.up", f.Up)
		}
	case FamilyLarge:
		g := &c.Large
		kv("num_heads", g.NumHeads)
		kv("use_bias", g.UseBias)
		kv("norm_eps", g.NormEps)
		kv("norm_reduction_force_float32", g.NormReductionForceFloat32)
		kv("add_out_norm", g.AddOutNorm)
		kv("qk_dim_factor", g.QKDimFactor)
		kv("v_dim_factor", g.VDimFactor)
		kv("chunk_size", g.ChunkSize)
		kv("eps", g.Eps)
		kv("ffn_proj_factor", g.FFNProjFactor)
		kv("ffn_round_up_to_multiple_of", g.FFNRoundUpTo)
		kv("gate_soft_cap", g.GateSoftCap)
		kv("output_logit_soft_cap", g.OutputLogitSoftCap)
		kv("weight_mode", g.WeightMode)
		kv("tie_word_embeddings", g.TieWordEmbeddings)
		kv("qk_dim", g.QKDim)
		kv("v_dim", g.VDim)
		kv("dh_qk", g.DHQK)
		kv("dh_v", g.DHV)
		kv("ffn_dim", g.FFNDim)
	}
	return sha256.Sum256([]byte(b.String()))
}

// Scalar nodes for the YAML writer, tagged so that they read back with the same type.

func yInt(v int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
}
func yBool(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
}
func yStr(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
func yNull() *yaml.Node        { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"} }

// yFloat writes a float exactly (shortest round-trip digits) and always with a '.' before any
// exponent ("2.0", "1.0e-06"), so that YAML 1.1 readers (PyYAML) also see a float, as in the
// official config.yaml files.
func yFloat(v float64) *yaml.Node {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".IN") {
		if i := strings.IndexByte(s, 'e'); i >= 0 {
			s = s[:i] + ".0" + s[i:]
		} else {
			s += ".0"
		}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s}
}

// yMap builds a mapping node whose keys keep the order they were added in.
type yMap struct{ n *yaml.Node }

func newYMap() yMap                       { return yMap{&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}} }
func (m yMap) add(k string, v *yaml.Node) { m.n.Content = append(m.n.Content, yStr(k), v) }

// addEOS writes the special-token extensions (see sharedKey), only those the config sets.
func addEOS(m yMap, c *Config) {
	if c.EOS >= 0 {
		m.add("eos_token_id", yInt(c.EOS))
	}
	if c.BOS >= 0 {
		m.add("bos_token_id", yInt(c.BOS))
	}
	if c.ForceBOS {
		m.add("force_bos_token_insert", yBool(true))
	}
}

// YAML writes the config in the official config.yaml key names (xLSTMLMModelConfig or
// xLSTMLargeConfig) so that ParseConfigYAML of the result gives an equal Config. Only fields
// that Config keeps are written; the others take their official defaults when read back.
// Extensions are written only when set: eos_token_id, bos_token_id, force_bos_token_insert
// and, for xLSTM Large, tie_word_embeddings (true).
// The config must be valid; YAML checks that the result reads back equal and errs otherwise.
func (c *Config) YAML() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("write config YAML: %w", err)
	}
	root := newYMap()
	switch c.Family {
	case FamilyLM:
		lm := &c.LM
		root.add("vocab_size", yInt(c.VocabSize))
		addEOS(root, c)
		root.add("context_length", yInt(lm.ContextLength))
		root.add("num_blocks", yInt(c.NumBlocks))
		root.add("embedding_dim", yInt(c.EmbeddingDim))
		root.add("add_post_blocks_norm", yBool(lm.AddPostBlocksNorm))
		root.add("bias", yBool(lm.Bias))
		root.add("tie_weights", yBool(lm.TieWeights))
		at := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for i, s := range lm.BlockIsSLSTM {
			if s {
				at.Content = append(at.Content, yInt(i))
			}
		}
		root.add("slstm_at", at)
		if lm.MLSTM != (MLSTMConfig{}) {
			m := &lm.MLSTM
			l := newYMap()
			l.add("conv1d_kernel_size", yInt(m.ConvKernelSize))
			l.add("qkv_proj_blocksize", yInt(m.QKVProjBlockSize))
			l.add("num_heads", yInt(m.NumHeads))
			l.add("proj_factor", yFloat(m.ProjFactor))
			l.add("round_proj_up_dim_up", yBool(m.RoundUp))
			l.add("round_proj_up_to_multiple_of", yInt(m.RoundUpTo))
			b := newYMap()
			b.add("mlstm", l.n)
			root.add("mlstm_block", b.n)
		}
		if lm.SLSTM != (SLSTMConfig{}) || lm.FFN != nil {
			s := &lm.SLSTM
			l := newYMap()
			l.add("backend", yStr(s.Backend))
			l.add("num_heads", yInt(s.NumHeads))
			l.add("conv1d_kernel_size", yInt(s.ConvKernelSize))
			l.add("group_norm_weight", yBool(s.GroupNormWeight))
			b := newYMap()
			b.add("slstm", l.n)
			if f := lm.FFN; f != nil {
				ff := newYMap()
				ff.add("proj_factor", yFloat(f.ProjFactor))
				ff.add("act_fn", yStr(f.ActFn))
				ff.add("round_proj_up_dim_up", yBool(f.RoundUp))
				ff.add("round_proj_up_to_multiple_of", yInt(f.RoundUpTo))
				ff.add("bias", yBool(f.Bias))
				b.add("feedforward", ff.n)
			} else {
				b.add("feedforward", yNull())
			}
			root.add("slstm_block", b.n)
		}
	case FamilyLarge:
		g := &c.Large
		capNode := func(v float64) *yaml.Node {
			if v == 0 {
				return yNull()
			}
			return yFloat(v)
		}
		root.add("embedding_dim", yInt(c.EmbeddingDim))
		root.add("num_heads", yInt(g.NumHeads))
		root.add("num_blocks", yInt(c.NumBlocks))
		root.add("vocab_size", yInt(c.VocabSize))
		addEOS(root, c)
		root.add("use_bias", yBool(g.UseBias))
		root.add("norm_eps", yFloat(g.NormEps))
		root.add("norm_reduction_force_float32", yBool(g.NormReductionForceFloat32))
		root.add("add_out_norm", yBool(g.AddOutNorm))
		root.add("qk_dim_factor", yFloat(g.QKDimFactor))
		root.add("v_dim_factor", yFloat(g.VDimFactor))
		root.add("chunk_size", yInt(g.ChunkSize))
		root.add("eps", yFloat(g.Eps))
		root.add("ffn_proj_factor", yFloat(g.FFNProjFactor))
		root.add("ffn_round_up_to_multiple_of", yInt(g.FFNRoundUpTo))
		root.add("gate_soft_cap", capNode(g.GateSoftCap))
		root.add("output_logit_soft_cap", capNode(g.OutputLogitSoftCap))
		root.add("weight_mode", yStr(g.WeightMode))
		if g.TieWordEmbeddings {
			// Not an xLSTMLargeConfig field (see largeOnlyKey); written only when set.
			root.add("tie_word_embeddings", yBool(true))
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root.n); err != nil {
		return nil, fmt.Errorf("write config YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write config YAML: %w", err)
	}
	// Keep the promise: a config that would not read back the same (possible only for a
	// hand-built one, e.g. with an unused sub-config holding an unknown backend) is refused.
	back, err := ParseConfigYAML(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("write config YAML: the result does not read back: %w", err)
	}
	if !reflect.DeepEqual(back, c) {
		return nil, &ConfigError{Msg: "write config YAML: the config does not read back equal (derived sizes or unused sub-configs inconsistent)"}
	}
	return buf.Bytes(), nil
}
