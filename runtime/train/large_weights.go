package train

import (
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// lgBlockW is one xLSTM Large block's tensors by role (SPEC §8, §10.3):
// views into the parameter (or gradient) tensors, so that binding a
// gradient gives the slices its values go to. In fused weight mode the
// roles are row ranges of the fused tensors (SPEC §8.3).
type lgBlockW[F model.Float] struct {
	normM, normF, mhNorm     []F // (D), (D), (V)
	q, k, v, o               []F // (QK, D), (QK, D), (V, D), (V, D)
	qB, kB, vB, oB           []F // nil without use_bias
	ig, fg, igB, fgB         []F // (NH, D), (NH, D), (NH), (NH)
	outProj, outProjB        []F // (D, V), (D)
	upGate, up, upGateB, upB []F // (F, D), (F, D), (F), (F)
	down, downB              []F // (D, F), (D)
}

// lgWeights is an xLSTM Large model's tensors by role.
type lgWeights[F model.Float] struct {
	embed, head, outNorm []F // head is embed when tied; outNorm nil without add_out_norm
	blocks               []lgBlockW[F]
}

// lgBind finds every role of cfg's xLSTM Large tensors in data, laid out as
// specs (the order of model.Tensors). The slices alias data.
func lgBind[F model.Float](cfg *model.Config, specs []model.TensorSpec, data [][]F) (*lgWeights[F], error) {
	if len(specs) != len(data) {
		return nil, fmt.Errorf("bind: %d specs, %d tensors", len(specs), len(data))
	}
	byName := make(map[string][]F, len(specs))
	for i, s := range specs {
		if len(data[i]) != numel(s.Shape) {
			return nil, fmt.Errorf("bind: tensor %q has %d values, want %d", s.Name, len(data[i]), numel(s.Shape))
		}
		byName[s.Name] = data[i]
	}
	var missing []string
	get := func(name string, n int) []F {
		d, ok := byName[name]
		if !ok || len(d) != n {
			missing = append(missing, name)
			return make([]F, n)
		}
		return d
	}
	g, d := cfg.Large, cfg.EmbeddingDim
	qk, vd, nh, ff := g.QKDim, g.VDim, g.NumHeads, g.FFNDim
	w := &lgWeights[F]{embed: get("embedding.weight", cfg.VocabSize*d)}
	if g.TieWordEmbeddings {
		w.head = w.embed
	} else {
		w.head = get("lm_head.weight", cfg.VocabSize*d)
	}
	if g.AddOutNorm {
		w.outNorm = get("backbone.out_norm.weight", d)
	}
	fused := g.WeightMode == "fused"
	w.blocks = make([]lgBlockW[F], cfg.NumBlocks)
	for i := range w.blocks {
		b := &w.blocks[i]
		p := fmt.Sprintf("backbone.blocks.%d.", i)
		x, f := p+"mlstm_layer.", p+"ffn."
		b.normM = get(p+"norm_mlstm.weight", d)
		b.normF = get(p+"norm_ffn.weight", d)
		b.mhNorm = get(x+"multihead_norm.weight", vd)
		b.outProj = get(x+"out_proj.weight", d*vd)
		b.down = get(f+"proj_down.weight", d*ff)
		if fused {
			qkvo := get(x+"qkv_opreact.weight", (2*qk+2*vd)*d)
			b.q, b.k, b.v, b.o = qkvo[:qk*d], qkvo[qk*d:2*qk*d], qkvo[2*qk*d:(2*qk+vd)*d], qkvo[(2*qk+vd)*d:]
			ifw, ifb := get(x+"ifgate_preact.weight", 2*nh*d), get(x+"ifgate_preact.bias", 2*nh)
			b.ig, b.fg, b.igB, b.fgB = ifw[:nh*d], ifw[nh*d:], ifb[:nh], ifb[nh:]
			up := get(f+"proj_up_gate_z.weight", 2*ff*d)
			b.upGate, b.up = up[:ff*d], up[ff*d:]
			if g.UseBias {
				bb := get(x+"qkv_opreact.bias", 2*qk+2*vd)
				b.qB, b.kB, b.vB, b.oB = bb[:qk], bb[qk:2*qk], bb[2*qk:2*qk+vd], bb[2*qk+vd:]
				ub := get(f+"proj_up_gate_z.bias", 2*ff)
				b.upGateB, b.upB = ub[:ff], ub[ff:]
			}
		} else {
			b.q, b.k = get(x+"q.weight", qk*d), get(x+"k.weight", qk*d)
			b.v, b.o = get(x+"v.weight", vd*d), get(x+"ogate_preact.weight", vd*d)
			b.ig, b.igB = get(x+"igate_preact.weight", nh*d), get(x+"igate_preact.bias", nh)
			b.fg, b.fgB = get(x+"fgate_preact.weight", nh*d), get(x+"fgate_preact.bias", nh)
			b.upGate, b.up = get(f+"proj_up_gate.weight", ff*d), get(f+"proj_up.weight", ff*d)
			if g.UseBias {
				b.qB, b.kB = get(x+"q.bias", qk), get(x+"k.bias", qk)
				b.vB, b.oB = get(x+"v.bias", vd), get(x+"ogate_preact.bias", vd)
				b.upGateB, b.upB = get(f+"proj_up_gate.bias", ff), get(f+"proj_up.bias", ff)
			}
		}
		if g.UseBias {
			b.outProjB = get(x+"out_proj.bias", d)
			b.downB = get(f+"proj_down.bias", d)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("bind: missing or mis-sized tensors %q", missing)
	}
	return w, nil
}

// inRows returns the block's input-projection roles in the row order of
// the concatenated matrix the trainer multiplies by (q, k, v, o, ĩ, f̃),
// with their biases (nil entries where absent).
func (b *lgBlockW[F]) inRows() (w, bias [6][]F) {
	return [6][]F{b.q, b.k, b.v, b.o, b.ig, b.fg}, [6][]F{b.qB, b.kB, b.vB, b.oB, b.igB, b.fgB}
}
