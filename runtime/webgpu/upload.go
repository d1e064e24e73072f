package webgpu

import (
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// gpuWeights are a model's tensors on the device, by role.
type gpuWeights struct {
	embed, head *matrix
	outNorm     *buffer
	blocks      []gpuBlock
	dummy       *buffer // bound where a shader's optional input is absent
	scratch     *buffer // bound where an optional writable buffer is absent
	bufs        []*buffer
	mats        []*matrix
}

// gpuBlock holds one block's vectors and matrices by role name.
type gpuBlock struct {
	vec map[string]*buffer
	mat map[string]*matrix
}

func (w *gpuWeights) release() {
	if w == nil {
		return
	}
	for _, b := range w.bufs {
		b.release()
	}
	for _, m := range w.mats {
		m.release()
	}
}

// cand is a bundle tensor that may hold a matrix quantised: rows
// [row0, row0+rows) of tensor name.
type cand struct {
	name string
	row0 int
}

type uploader struct {
	d     *Device
	raw   rawSource
	limit uint64
	w     *gpuWeights
	err   error
}

func (u *uploader) vec(v []float32) *buffer {
	if u.err != nil || v == nil {
		return nil
	}
	b, err := u.d.uploadF32(v)
	if err != nil {
		u.err = err
		return nil
	}
	u.w.bufs = append(u.w.bufs, b)
	return b
}

// mat uploads a (rows × cols) matrix, quantised when one of the candidate
// bundle tensors stores it so, else from the float32 values.
func (u *uploader) mat(v []float32, rows, cols int, cands ...cand) *matrix {
	if u.err != nil {
		return nil
	}
	var m *matrix
	var err error
	for _, c := range cands {
		raw, format, group, qerr := quantised(u.raw, c.name, c.row0, rows, cols)
		if qerr != nil {
			u.err = qerr
			return nil
		}
		if format != "" {
			if m, err = u.d.newMatrix(nil, raw, format, rows, cols, group, u.limit); err != nil {
				u.err = fmt.Errorf("%s: %w", c.name, err)
				return nil
			}
			break
		}
	}
	if m == nil {
		name := "gate matrix"
		if len(cands) > 0 {
			name = cands[0].name
		}
		if v == nil {
			// The model keeps this matrix quantised and gives no float32
			// values: its payload must come from the bundle.
			u.err = fmt.Errorf("%s is held quantised by the model: pass Options.Weights (the bundle's files) to upload it", name)
			return nil
		}
		if m, err = u.d.newMatrix(v, nil, "f32", rows, cols, 0, u.limit); err != nil {
			u.err = fmt.Errorf("%s: %w", name, err)
			return nil
		}
	}
	u.w.mats = append(u.w.mats, m)
	return m
}

// uploadWeights puts every tensor of m on the device.
func uploadWeights(d *Device, m *model.Model[float32], raw rawSource, limit uint64) (*gpuWeights, error) {
	cfg := m.Config()
	src := m.Weights()
	w := &gpuWeights{}
	u := &uploader{d: d, raw: raw, limit: limit, w: w}
	w.dummy = u.vec(make([]float32, 4))
	w.scratch = u.vec(make([]float32, 4))
	dm, vs := cfg.EmbeddingDim, cfg.VocabSize
	embName, headName := "token_embedding.weight", "lm_head.weight"
	tied := cfg.LM.TieWeights
	if cfg.Family == model.FamilyLarge {
		embName, tied = "embedding.weight", cfg.Large.TieWordEmbeddings
	}
	w.embed = u.mat(src.Embed, vs, dm, cand{embName, 0}, cand{"backbone.embeddings.weight", 0})
	if tied {
		w.head = w.embed
	} else {
		w.head = u.mat(src.Head, vs, dm, cand{headName, 0})
	}
	w.outNorm = u.vec(src.OutNorm)
	w.blocks = make([]gpuBlock, len(src.Blocks))
	for i, sb := range src.Blocks {
		b := gpuBlock{vec: map[string]*buffer{}, mat: map[string]*matrix{}}
		switch {
		case sb.MLSTM != nil:
			uploadMLSTM(u, &b, sb.MLSTM, cfg, fmt.Sprintf("xlstm_block_stack.blocks.%d.xlstm.", i))
		case sb.SLSTM != nil:
			uploadSLSTM(u, &b, sb.SLSTM, cfg, fmt.Sprintf("xlstm_block_stack.blocks.%d.", i))
		default:
			uploadLarge(u, &b, sb.Large, cfg, fmt.Sprintf("backbone.blocks.%d.", i))
		}
		w.blocks[i] = b
	}
	if u.err != nil {
		w.release()
		return nil, u.err
	}
	return w, nil
}

func uploadMLSTM(u *uploader, b *gpuBlock, s *model.MLSTMWeights[float32], cfg *model.Config, x string) {
	d, in, nh := cfg.EmbeddingDim, cfg.LM.MLSTM.Inner, cfg.LM.MLSTM.NumHeads
	for k, v := range map[string][]float32{
		"norm": s.Norm, "projUpB": s.ProjUpB, "convW": s.ConvW, "convB": s.ConvB,
		"qW": s.QW, "kW": s.KW, "vW": s.VW, "qB": s.QB, "kB": s.KB, "vB": s.VB,
		"igB": s.IgB, "fgB": s.FgB, "skip": s.Skip, "outNorm": s.OutNorm, "projDownB": s.ProjDownB,
	} {
		b.vec[k] = u.vec(v)
	}
	b.mat["projUp"] = u.mat(s.ProjUp, 2*in, d, cand{x + "proj_up.weight", 0})
	b.mat["projDown"] = u.mat(s.ProjDown, d, in, cand{x + "proj_down.weight", 0})
	b.mat["ig"] = u.mat(s.IgW, nh, 3*in)
	b.mat["fg"] = u.mat(s.FgW, nh, 3*in)
}

func uploadSLSTM(u *uploader, b *gpuBlock, s *model.SLSTMWeights[float32], cfg *model.Config, p string) {
	d := cfg.EmbeddingDim
	for k, v := range map[string][]float32{
		"norm": s.Norm, "convW": s.ConvW, "convB": s.ConvB,
		"iW": s.IW, "fW": s.FW, "zW": s.ZW, "oW": s.OW, "r": s.R, "bias": s.Bias,
		"groupNorm": s.GroupNorm, "ffnNorm": s.FFNNorm, "ffnUpB": s.FFNUpB, "ffnDownB": s.FFNDownB,
	} {
		b.vec[k] = u.vec(v)
	}
	if f := cfg.LM.FFN; f != nil {
		b.mat["ffnUp"] = u.mat(s.FFNUp, 2*f.Up, d, cand{p + "ffn.proj_up.weight", 0})
		b.mat["ffnDown"] = u.mat(s.FFNDown, d, f.Up, cand{p + "ffn.proj_down.weight", 0})
	}
}

func uploadLarge(u *uploader, b *gpuBlock, s *model.LargeWeights[float32], cfg *model.Config, p string) {
	g, d := cfg.Large, cfg.EmbeddingDim
	qk, vd, ff := g.QKDim, g.VDim, g.FFNDim
	for k, v := range map[string][]float32{
		"normM": s.NormM, "qB": s.QB, "kB": s.KB, "vB": s.VB, "oB": s.OB,
		"igB": s.IgB, "fgB": s.FgB, "mhNorm": s.MHNorm, "outPB": s.OutPB,
		"normF": s.NormF, "upGateB": s.UpGateB, "upB": s.UpB, "downB": s.DownB,
	} {
		b.vec[k] = u.vec(v)
	}
	x, f := p+"mlstm_layer.", p+"ffn."
	fused := x + "qkv_opreact.weight"
	b.mat["q"] = u.mat(s.Q, qk, d, cand{x + "q.weight", 0}, cand{x + "query.weight", 0}, cand{fused, 0})
	b.mat["k"] = u.mat(s.K, qk, d, cand{x + "k.weight", 0}, cand{x + "key.weight", 0}, cand{fused, qk})
	b.mat["v"] = u.mat(s.V, vd, d, cand{x + "v.weight", 0}, cand{x + "value.weight", 0}, cand{fused, 2 * qk})
	b.mat["o"] = u.mat(s.O, vd, d, cand{x + "ogate_preact.weight", 0}, cand{fused, 2*qk + vd})
	b.mat["ig"] = u.mat(s.IgW, g.NumHeads, d)
	b.mat["fg"] = u.mat(s.FgW, g.NumHeads, d)
	b.mat["outProj"] = u.mat(s.OutProj, d, vd, cand{x + "out_proj.weight", 0})
	fz := f + "proj_up_gate_z.weight"
	b.mat["upGate"] = u.mat(s.UpGate, ff, d, cand{f + "proj_up_gate.weight", 0}, cand{fz, 0})
	b.mat["up"] = u.mat(s.Up, ff, d, cand{f + "proj_up.weight", 0}, cand{fz, ff})
	b.mat["down"] = u.mat(s.Down, d, ff, cand{f + "proj_down.weight", 0})
}
