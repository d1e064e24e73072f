package model

// Read-only access to a loaded model's weights by role and to a State's
// vectors, for sibling backends (runtime/webgpu) that upload them to a
// device. The slices are the model's own: callers must not modify them.

// Weights are a model's tensors by role, in the vanilla layouts the
// reference forward uses (fused xLSTM Large tensors split by rows, the sLSTM
// cuda layout re-ordered). Absent optional tensors are nil.
type Weights[F Float] struct {
	Embed   []F // (V, D)
	Head    []F // (V, D); the embedding's slice when tied
	OutNorm []F // (D); nil when absent
	// Blocks has one entry per block; exactly one of its fields is set.
	Blocks []BlockWeights[F]
}

// BlockWeights is one block's weights: exactly one field is non-nil.
type BlockWeights[F Float] struct {
	MLSTM *MLSTMWeights[F]
	SLSTM *SLSTMWeights[F]
	Large *LargeWeights[F]
}

// MLSTMWeights are an original-LM mLSTM block's tensors (SPEC §3, §4).
type MLSTMWeights[F Float] struct {
	Norm, ProjUp, ProjUpB, ConvW, ConvB []F
	QW, KW, VW, QB, KB, VB              []F // headwise (I/bs, bs, bs); biases (I) or nil
	IgW, IgB, FgW, FgB                  []F // (NH, 3I), (NH)
	Skip, OutNorm, ProjDown, ProjDownB  []F
}

// SLSTMWeights are an original-LM sLSTM block's tensors (SPEC §5), IW being
// the input gate (the module the checkpoint names fgate).
type SLSTMWeights[F Float] struct {
	Norm, ConvW, ConvB []F
	IW, FW, ZW, OW     []F // headwise (NH, DH, DH)
	R, Bias            []F // (NH, 4DH, DH) vanilla, (4H) gate-major
	GroupNorm          []F // (H); nil without weight
	FFNNorm            []F // (D); nil without FFN
	FFNUp, FFNUpB      []F // (2P, D)
	FFNDown, FFNDownB  []F // (D, P)
}

// LargeWeights are an xLSTM Large block's tensors (SPEC §8).
type LargeWeights[F Float] struct {
	NormM, Q, K, V, O      []F
	QB, KB, VB, OB         []F
	IgW, IgB, FgW, FgB     []F
	MHNorm, OutProj, OutPB []F
	NormF, UpGate, UpGateB []F
	Up, UpB, Down, DownB   []F
}

// Weights returns the model's tensors by role (shared, read-only).
func (m *Model[F]) Weights() *Weights[F] {
	w := &Weights[F]{Embed: m.embed, Head: m.head, OutNorm: m.outNorm}
	w.Blocks = make([]BlockWeights[F], m.cfg.NumBlocks)
	for i := range w.Blocks {
		switch {
		case m.cfg.Family == FamilyLarge:
			b := &m.large[i]
			w.Blocks[i].Large = &LargeWeights[F]{
				NormM: b.normM, Q: b.q, K: b.k, V: b.v, O: b.o,
				QB: b.qB, KB: b.kB, VB: b.vB, OB: b.oB,
				IgW: b.igW, IgB: b.igB, FgW: b.fgW, FgB: b.fgB,
				MHNorm: b.mhNorm, OutProj: b.outProj, OutPB: b.outProjB,
				NormF: b.normF, UpGate: b.upGate, UpGateB: b.upGateB,
				Up: b.up, UpB: b.upB, Down: b.down, DownB: b.downB,
			}
		case m.lm[i].m != nil:
			b := m.lm[i].m
			w.Blocks[i].MLSTM = &MLSTMWeights[F]{
				Norm: b.norm, ProjUp: b.projUp, ProjUpB: b.projUpB, ConvW: b.convW, ConvB: b.convB,
				QW: b.qW, KW: b.kW, VW: b.vW, QB: b.qB, KB: b.kB, VB: b.vB,
				IgW: b.igW, IgB: b.igB, FgW: b.fgW, FgB: b.fgB,
				Skip: b.skip, OutNorm: b.outNorm, ProjDown: b.projDown, ProjDownB: b.projDownB,
			}
		default:
			b := m.lm[i].s
			w.Blocks[i].SLSTM = &SLSTMWeights[F]{
				Norm: b.norm, ConvW: b.convW, ConvB: b.convB,
				IW: b.iW, FW: b.fW, ZW: b.zW, OW: b.oW, R: b.r, Bias: b.bias,
				GroupNorm: b.groupNorm, FFNNorm: b.ffnNorm,
				FFNUp: b.ffnUp, FFNUpB: b.ffnUpB, FFNDown: b.ffnDn, FFNDownB: b.ffnDnB,
			}
		}
	}
	return w
}

// Vectors returns the state's vectors in the fixed order of its binary
// form: per block C, n, m (mLSTM) or y, c, n, m (sLSTM), then the conv
// buffer when there is one. They alias the state: a device backend reads
// its state into them before MarshalBinary and out of them after
// UnmarshalBinary.
func (s *State[F]) Vectors() [][]F { return s.vectors() }

// SetPos sets how many tokens the state has consumed (for a device backend
// that advanced the state itself).
func (s *State[F]) SetPos(n int) { s.pos = n }
