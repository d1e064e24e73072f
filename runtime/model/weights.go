package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xlstm-go/xlstm/runtime/kernels"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/quant"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// Source is where a model's tensors come from; *safetensors.Set and
// *safetensors.File satisfy it.
type Source interface {
	Names() []string
	Info(name string) (safetensors.Info, bool)
	ReadFloat32(name string, dst []float32) error
	ReadFloat64(name string, dst []float64) error
}

// rawSource is a Source that hands over a tensor's stored payload, as a
// weight bundle's *bundle.Reader does: its Q8/Q4 matrices then stay
// quantised in a float32 model (see kernels.QMat) instead of being
// dequantised at load.
type rawSource interface {
	Tensor(name string) (bundle.Tensor, bool)
	Raw(name string) ([]byte, error)
}

// lmMLSTM holds one original-LM mLSTM block's weights (SPEC §3, §4, §10.1).
type lmMLSTM[F Float] struct {
	norm                []F // xlstm_norm.weight (D), an offset
	projUp, projUpB     []F // (2I, D)
	convW, convB        []F // (I, K), (I); nil without conv
	qW, kW, vW          []F // headwise (I/bs, bs, bs)
	qB, kB, vB          []F // (I) when bias
	igW, igB, fgW, fgB  []F // (NH, 3I), (NH)
	skip                []F // learnable_skip (I)
	outNorm             []F // mlstm_cell.outnorm.weight (I), an offset
	projDown, projDownB []F // (D, I)

	// Quantised forms of projUp and projDown (then those are nil).
	projUpQ, projDownQ *kernels.QMat
}

// lmSLSTM holds one original-LM sLSTM block's weights (SPEC §5, §10.1), in
// the vanilla layout whatever the checkpoint's backend.
type lmSLSTM[F Float] struct {
	norm           []F // xlstm_norm.weight (D)
	convW, convB   []F // (D, K), (D); nil without conv
	iW, fW, zW, oW []F // headwise (NH, DH, DH); iW is the module named fgate (SPEC §5.1)
	r              []F // recurrent kernel (NH, 4DH, DH), vanilla layout
	bias           []F // (4H), gate-major
	groupNorm      []F // (H), an offset; nil when group_norm_weight is false
	ffnNorm        []F // (D); nil without FFN
	ffnUp, ffnUpB  []F // (2P, D)
	ffnDn, ffnDnB  []F // (D, P)

	ffnUpQ, ffnDnQ *kernels.QMat // quantised ffnUp, ffnDn (then those are nil)
}

// largeBlock holds one xLSTM Large block's weights (SPEC §8, §10.3).
type largeBlock[F Float] struct {
	normM              []F // norm_mlstm.weight (D)
	q, k, v, o         []F // (QK, D), (QK, D), (V, D), (V, D)
	qB, kB, vB, oB     []F // when use_bias
	igW, igB, fgW, fgB []F // (NH, D), (NH)
	mhNorm             []F // multihead_norm.weight (V)
	outProj, outProjB  []F // (D, V)
	normF              []F // norm_ffn.weight (D)
	upGate, upGateB    []F // (F, D)
	up, upB            []F // (F, D)
	down, downB        []F // (D, F)

	// Quantised forms of the projections above (the []F field is then nil).
	qQ, kQ, vQ, oQ, outProjQ, upGateQ, upQ, downQ *kernels.QMat
}

// loader reads tensors by name with expected shapes, remembers every error
// and which names were used, so that missing, mis-shaped and unexpected
// tensors are all reported by name.
type loader[F Float] struct {
	src  Source
	used map[string]bool
	errs []error

	// specs, when set, makes the loader list the canonical tensors instead
	// of reading any: see Tensors.
	specs *[]TensorSpec
	fused bool // in spec mode: list fused xLSTM Large names
}

// TensorSpec is one tensor of a checkpoint: its official name and shape.
type TensorSpec struct {
	Name  string
	Shape []int
}

// Tensors lists the tensors a checkpoint for cfg holds, under the official
// names (the xLSTM Large weight mode as cfg says), in load order. A tied
// head is listed once, as the embedding.
func Tensors(cfg *Config) ([]TensorSpec, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var specs []TensorSpec
	l := &loader[float32]{used: map[string]bool{}, specs: &specs, fused: cfg.Large.WeightMode == "fused"}
	m := &Model[float32]{cfg: cfg}
	if cfg.Family == FamilyLM {
		m.loadLM(l)
	} else {
		m.loadLarge(l)
	}
	return specs, nil
}

func (l *loader[F]) has(name string) bool {
	if l.specs != nil {
		// Canonical names only: optional tensors are absent, fused ones
		// present exactly in fused mode.
		isFused := strings.Contains(name, "qkv_opreact") || strings.Contains(name, "proj_up_gate_z")
		return isFused == l.fused
	}
	_, ok := l.src.Info(name)
	return ok
}

// get reads a required tensor of the given shape.
func (l *loader[F]) get(name string, shape ...int) []F {
	if l.specs == nil && !l.has(name) {
		l.errs = append(l.errs, fmt.Errorf("missing tensor %q (want shape %v)", name, shape))
		return nil
	}
	return l.read(name, shape)
}

// opt reads a tensor when present and returns nil otherwise.
func (l *loader[F]) opt(name string, shape ...int) []F {
	if l.specs != nil || !l.has(name) {
		return nil
	}
	return l.read(name, shape)
}

// first reads the first present name of several aliases (official and
// Hugging Face names), requiring one of them.
func (l *loader[F]) first(names []string, shape ...int) []F {
	if l.specs != nil {
		return l.read(names[0], shape)
	}
	for _, n := range names {
		if l.has(n) {
			return l.read(n, shape)
		}
	}
	l.errs = append(l.errs, fmt.Errorf("missing tensor %q (want shape %v)", names[0], shape))
	return nil
}

func (l *loader[F]) read(name string, shape []int) []F {
	l.used[name] = true
	if l.specs != nil {
		*l.specs = append(*l.specs, TensorSpec{Name: name, Shape: slices.Clone(shape)})
		return nil
	}
	info, _ := l.src.Info(name)
	if !slices.Equal(info.Shape, shape) {
		l.errs = append(l.errs, fmt.Errorf("tensor %q has shape %v, want %v", name, info.Shape, shape))
		return nil
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	out := make([]F, n)
	var err error
	switch dst := any(out).(type) {
	case []float32:
		err = l.src.ReadFloat32(name, dst)
	case []float64:
		err = l.src.ReadFloat64(name, dst)
	default:
		err = errors.New("unsupported element type")
	}
	if err != nil {
		l.errs = append(l.errs, fmt.Errorf("read tensor %q: %w", name, err))
		return nil
	}
	return out
}

// getMat reads a required (rows × cols) matrix: quantised when the source
// stores it Q8/Q4 and F is float32, else as []F.
func (l *loader[F]) getMat(name string, rows, cols int) ([]F, *kernels.QMat) {
	if q, ok := l.quantised(name, rows, cols); ok {
		return nil, q
	}
	return l.get(name, rows, cols), nil
}

// firstMat is getMat for the first present name of several aliases.
func (l *loader[F]) firstMat(names []string, rows, cols int) ([]F, *kernels.QMat) {
	for _, n := range names {
		if l.specs == nil && l.has(n) {
			return l.getMat(n, rows, cols)
		}
	}
	return l.first(names, rows, cols), nil
}

// quantised returns the Q8/Q4 matrix name as stored, with ok set when it
// handled the tensor (a read error is then recorded).
func (l *loader[F]) quantised(name string, rows, cols int) (*kernels.QMat, bool) {
	if _, ok := any(*new(F)).(float32); !ok || l.specs != nil {
		return nil, false
	}
	rs, ok := l.src.(rawSource)
	if !ok {
		return nil, false
	}
	t, ok := rs.Tensor(name)
	if !ok {
		return nil, false
	}
	kind, ok := quant.ParseKind(t.DType)
	if !ok || !slices.Equal(t.Shape, []int{rows, cols}) {
		return nil, false // read reports a shape mismatch
	}
	l.used[name] = true
	raw, err := rs.Raw(name)
	if err == nil {
		var q *kernels.QMat
		if q, err = kernels.NewQMat(kind, rows, cols, t.Group, raw); err == nil {
			return q, true
		}
	}
	l.errs = append(l.errs, fmt.Errorf("read tensor %q: %w", name, err))
	return nil, true
}

// splitRows cuts a matrix held as []F or quantised into row ranges of the
// given sizes (a fused checkpoint tensor into its parts).
func splitRows[F Float](w []F, q *kernels.QMat, cols int, sizes ...int) ([][]F, []*kernels.QMat) {
	ws, qs := make([][]F, len(sizes)), make([]*kernels.QMat, len(sizes))
	r := 0
	for i, n := range sizes {
		switch {
		case q != nil:
			qs[i] = q.RowRange(r, r+n)
		case w != nil:
			ws[i] = w[r*cols : (r+n)*cols]
		}
		r += n
	}
	return ws, qs
}

// shape returns a tensor's shape, or nil when absent.
func (l *loader[F]) shape(name string) []int {
	if l.specs != nil {
		return nil
	}
	info, ok := l.src.Info(name)
	if !ok {
		return nil
	}
	return info.Shape
}

// finish reports every error collected plus every tensor that was not used.
func (l *loader[F]) finish() error {
	for _, n := range l.src.Names() {
		if !l.used[n] && !ignorable(n) {
			l.errs = append(l.errs, fmt.Errorf("unexpected tensor %q", n))
		}
	}
	return errors.Join(l.errs...)
}

// ignorable names are buffers that some exports carry but the math does not use.
func ignorable(name string) bool {
	return strings.HasSuffix(name, ".causal_mask")
}

// loadLM reads the original LM's weights (SPEC §10.1).
func (m *Model[F]) loadLM(l *loader[F]) {
	c, lm := m.cfg, &m.cfg.LM
	d, v := c.EmbeddingDim, c.VocabSize
	m.embed, m.embedQ = l.getMat("token_embedding.weight", v, d)
	if lm.TieWeights {
		// Both keys appear in a tied state_dict; the head is the embedding.
		l.opt("lm_head.weight", v, d)
		m.head, m.headQ = m.embed, m.embedQ
	} else {
		m.head, m.headQ = l.getMat("lm_head.weight", v, d)
	}
	if lm.AddPostBlocksNorm {
		m.outNorm = l.get("xlstm_block_stack.post_blocks_norm.weight", d)
	}
	m.lm = make([]lmBlock[F], c.NumBlocks)
	for i := range m.lm {
		p := fmt.Sprintf("xlstm_block_stack.blocks.%d.", i)
		if lm.BlockIsSLSTM[i] {
			m.lm[i].s = loadSLSTM(l, c, p)
		} else {
			m.lm[i].m = loadMLSTM(l, c, p)
		}
	}
}

func loadMLSTM[F Float](l *loader[F], c *Config, p string) *lmMLSTM[F] {
	mc, d := c.LM.MLSTM, c.EmbeddingDim
	in, nh, bs, k := mc.Inner, mc.NumHeads, mc.QKVProjBlockSize, mc.ConvKernelSize
	b := &lmMLSTM[F]{}
	b.norm = l.get(p+"xlstm_norm.weight", d)
	x := p + "xlstm."
	b.projUp, b.projUpQ = l.getMat(x+"proj_up.weight", 2*in, d)
	b.projDown, b.projDownQ = l.getMat(x+"proj_down.weight", d, in)
	if c.LM.Bias {
		b.projUpB = l.get(x+"proj_up.bias", 2*in)
		b.projDownB = l.get(x+"proj_down.bias", d)
		b.qB = l.get(x+"q_proj.bias", in)
		b.kB = l.get(x+"k_proj.bias", in)
		b.vB = l.get(x+"v_proj.bias", in)
	}
	b.qW = l.get(x+"q_proj.weight", in/bs, bs, bs)
	b.kW = l.get(x+"k_proj.weight", in/bs, bs, bs)
	b.vW = l.get(x+"v_proj.weight", in/bs, bs, bs)
	if k > 0 {
		b.convW = l.get(x+"conv1d.conv.weight", in, 1, k)
		b.convB = l.get(x+"conv1d.conv.bias", in)
	}
	b.igW = l.get(x+"mlstm_cell.igate.weight", nh, 3*in)
	b.igB = l.get(x+"mlstm_cell.igate.bias", nh)
	b.fgW = l.get(x+"mlstm_cell.fgate.weight", nh, 3*in)
	b.fgB = l.get(x+"mlstm_cell.fgate.bias", nh)
	b.outNorm = l.get(x+"mlstm_cell.outnorm.weight", in)
	b.skip = l.get(x+"learnable_skip", in)
	return b
}

func loadSLSTM[F Float](l *loader[F], c *Config, p string) *lmSLSTM[F] {
	sc, d := c.LM.SLSTM, c.EmbeddingDim
	nh, dh, k := sc.NumHeads, sc.HeadDim, sc.ConvKernelSize
	b := &lmSLSTM[F]{}
	b.norm = l.get(p+"xlstm_norm.weight", d)
	x := p + "xlstm."
	if k > 0 {
		b.convW = l.get(x+"conv1d.conv.weight", d, 1, k)
		b.convB = l.get(x+"conv1d.conv.bias", d)
	}
	b.iW = l.get(x+"fgate.weight", nh, dh, dh) // the official swap (SPEC §5.1)
	b.fW = l.get(x+"igate.weight", nh, dh, dh)
	b.zW = l.get(x+"zgate.weight", nh, dh, dh)
	b.oW = l.get(x+"ogate.weight", nh, dh, dh)
	// The checkpoint layout depends on the backend that trained it; the
	// kernel's shape tells which (SPEC §5.3).
	rName, bName := x+"slstm_cell._recurrent_kernel_", x+"slstm_cell._bias_"
	if slices.Equal(l.shape(rName), []int{nh, dh, 4 * dh}) {
		b.r = SLSTMCudaToVanillaR(l.get(rName, nh, dh, 4*dh), nh, dh)
		b.bias = SLSTMCudaToVanillaBias(l.get(bName, 4*d), nh, dh)
	} else {
		b.r = l.get(rName, nh, 4*dh, dh)
		b.bias = l.get(bName, 4*d)
	}
	if sc.GroupNormWeight {
		b.groupNorm = l.get(x+"group_norm.weight", d)
	}
	if f := c.LM.FFN; f != nil {
		b.ffnNorm = l.get(p+"ffn_norm.weight", d)
		b.ffnUp, b.ffnUpQ = l.getMat(p+"ffn.proj_up.weight", 2*f.Up, d)
		b.ffnDn, b.ffnDnQ = l.getMat(p+"ffn.proj_down.weight", d, f.Up)
		if f.Bias {
			b.ffnUpB = l.get(p+"ffn.proj_up.bias", 2*f.Up)
			b.ffnDnB = l.get(p+"ffn.proj_down.bias", d)
		}
	}
	return b
}

// SLSTMCudaToVanillaR re-orders an sLSTM recurrent kernel trained with the
// cuda backend, R_cuda (NH, DH, 4, DH), as the vanilla layout (NH, 4DH, DH)
// the model uses: R_van[h, g*DH+j, k] = R_cuda[h, k, g*DH+j] (SPEC §5.3).
// A nil kernel gives nil.
func SLSTMCudaToVanillaR[F Float](r []F, nh, dh int) []F {
	if r == nil {
		return nil
	}
	out := make([]F, len(r))
	for h := 0; h < nh; h++ {
		for gj := 0; gj < 4*dh; gj++ {
			for k := 0; k < dh; k++ {
				out[h*4*dh*dh+gj*dh+k] = r[h*dh*4*dh+k*4*dh+gj]
			}
		}
	}
	return out
}

// SLSTMCudaToVanillaBias re-orders the cuda backend's head-major sLSTM bias
// b[h, g, j] as the vanilla gate-major b[g, h, j] (SPEC §5.3). A nil bias
// gives nil.
func SLSTMCudaToVanillaBias[F Float](b []F, nh, dh int) []F {
	if b == nil {
		return nil
	}
	out := make([]F, len(b))
	for h := 0; h < nh; h++ {
		for g := 0; g < 4; g++ {
			for j := 0; j < dh; j++ {
				out[g*nh*dh+h*dh+j] = b[h*4*dh+g*dh+j]
			}
		}
	}
	return out
}

// loadLarge reads xLSTM Large weights under the official names or the
// Hugging Face ones, in single or fused weight mode (SPEC §8.3, §8.4).
func (m *Model[F]) loadLarge(l *loader[F]) {
	c, g := m.cfg, &m.cfg.Large
	d, v := c.EmbeddingDim, c.VocabSize
	m.embed, m.embedQ = l.firstMat([]string{"embedding.weight", "backbone.embeddings.weight", "backbone.embedding.weight"}, v, d)
	if g.TieWordEmbeddings {
		l.opt("lm_head.weight", v, d)
		m.head, m.headQ = m.embed, m.embedQ
	} else {
		m.head, m.headQ = l.getMat("lm_head.weight", v, d)
	}
	if g.AddOutNorm {
		m.outNorm = l.get("backbone.out_norm.weight", d)
	}
	m.large = make([]largeBlock[F], c.NumBlocks)
	for i := range m.large {
		m.large[i] = loadLargeBlock(l, c, fmt.Sprintf("backbone.blocks.%d.", i))
	}
}

func loadLargeBlock[F Float](l *loader[F], c *Config, p string) largeBlock[F] {
	g, d := c.Large, c.EmbeddingDim
	qk, vd, nh, ff := g.QKDim, g.VDim, g.NumHeads, g.FFNDim
	var b largeBlock[F]
	b.normM = l.get(p+"norm_mlstm.weight", d)
	b.normF = l.get(p+"norm_ffn.weight", d)
	x := p + "mlstm_layer."
	// The checkpoint decides the weight mode: fused tensors are split by rows.
	if l.has(x + "qkv_opreact.weight") {
		w, wq := l.getMat(x+"qkv_opreact.weight", 2*qk+2*vd, d)
		ws, qs := splitRows(w, wq, d, qk, qk, vd, vd)
		b.q, b.k, b.v, b.o = ws[0], ws[1], ws[2], ws[3]
		b.qQ, b.kQ, b.vQ, b.oQ = qs[0], qs[1], qs[2], qs[3]
		if g.UseBias {
			bb := l.get(x+"qkv_opreact.bias", 2*qk+2*vd)
			if bb != nil {
				b.qB, b.kB, b.vB, b.oB = bb[:qk], bb[qk:2*qk], bb[2*qk:2*qk+vd], bb[2*qk+vd:]
			}
		}
		w = l.get(x+"ifgate_preact.weight", 2*nh, d)
		bb := l.get(x+"ifgate_preact.bias", 2*nh)
		if w != nil && bb != nil {
			b.igW, b.fgW, b.igB, b.fgB = w[:nh*d], w[nh*d:], bb[:nh], bb[nh:]
		}
	} else {
		b.q, b.qQ = l.firstMat([]string{x + "q.weight", x + "query.weight"}, qk, d)
		b.k, b.kQ = l.firstMat([]string{x + "k.weight", x + "key.weight"}, qk, d)
		b.v, b.vQ = l.firstMat([]string{x + "v.weight", x + "value.weight"}, vd, d)
		b.o, b.oQ = l.getMat(x+"ogate_preact.weight", vd, d)
		if g.UseBias {
			b.qB = l.first([]string{x + "q.bias", x + "query.bias"}, qk)
			b.kB = l.first([]string{x + "k.bias", x + "key.bias"}, qk)
			b.vB = l.first([]string{x + "v.bias", x + "value.bias"}, vd)
			b.oB = l.get(x+"ogate_preact.bias", vd)
		}
		b.igW = l.get(x+"igate_preact.weight", nh, d)
		b.igB = l.get(x+"igate_preact.bias", nh)
		b.fgW = l.get(x+"fgate_preact.weight", nh, d)
		b.fgB = l.get(x+"fgate_preact.bias", nh)
	}
	b.mhNorm = l.get(x+"multihead_norm.weight", vd)
	b.outProj, b.outProjQ = l.getMat(x+"out_proj.weight", d, vd)
	f := p + "ffn."
	if l.has(f + "proj_up_gate_z.weight") {
		w, wq := l.getMat(f+"proj_up_gate_z.weight", 2*ff, d)
		ws, qs := splitRows(w, wq, d, ff, ff)
		b.upGate, b.up, b.upGateQ, b.upQ = ws[0], ws[1], qs[0], qs[1]
		if g.UseBias {
			bb := l.get(f+"proj_up_gate_z.bias", 2*ff)
			if bb != nil {
				b.upGateB, b.upB = bb[:ff], bb[ff:]
			}
		}
	} else {
		b.upGate, b.upGateQ = l.getMat(f+"proj_up_gate.weight", ff, d)
		b.up, b.upQ = l.getMat(f+"proj_up.weight", ff, d)
		if g.UseBias {
			b.upGateB = l.get(f+"proj_up_gate.bias", ff)
			b.upB = l.get(f+"proj_up.bias", ff)
		}
	}
	b.down, b.downQ = l.getMat(f+"proj_down.weight", d, ff)
	if g.UseBias {
		b.outProjB = l.get(x+"out_proj.bias", d)
		b.downB = l.get(f+"proj_down.bias", d)
	}
	return b
}
