//go:build cuda || cudaemu

package cuda

import (
	"math"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/runtime/model"
)

// gpuLargeForward runs an xLSTM Large model's full-sequence forward from the
// kernels (SPEC §8; runtime/model largeBlock step by step) and returns the
// logits (S × V).
func gpuLargeForward(t *testing.T, d *Device, m *model.Model[float32], tokens []int) []float32 {
	t.Helper()
	cfg := m.Config()
	g := cfg.Large
	w := m.Weights()
	s, dm, v := len(tokens), cfg.EmbeddingDim, cfg.VocabSize
	nh, qk, vd, ff := g.NumHeads, g.QKDim, g.VDim, g.FFNDim
	opt := func(x []float32) *Buffer {
		if x == nil {
			return nil
		}
		return up(t, d, x)
	}
	ids := make([]int32, s)
	for i, tk := range tokens {
		ids[i] = int32(tk)
	}
	x := zeros(t, d, s*dm)
	must(t, d.Embed(x, up(t, d, w.Embed), upInt(t, d, ids), s, dm, v))
	xn, y := zeros(t, d, s*dm), zeros(t, d, s*dm)
	q, k := zeros(t, d, s*qk), zeros(t, d, s*qk)
	vv, o, h := zeros(t, d, s*vd), zeros(t, d, s*vd), zeros(t, d, s*vd)
	ig, fg := zeros(t, d, s*nh), zeros(t, d, s*nh)
	ug, u := zeros(t, d, s*ff), zeros(t, d, s*ff)
	for _, b := range w.Blocks {
		lw := b.Large
		must(t, d.RMSNorm(xn, nil, x, up(t, d, lw.NormM), s, dm, g.NormEps))
		must(t, d.Linear(q, xn, up(t, d, lw.Q), opt(lw.QB), s, dm, qk))
		must(t, d.Linear(k, xn, up(t, d, lw.K), opt(lw.KB), s, dm, qk))
		must(t, d.Linear(vv, xn, up(t, d, lw.V), opt(lw.VB), s, dm, vd))
		must(t, d.Linear(o, xn, up(t, d, lw.O), opt(lw.OB), s, dm, vd))
		must(t, d.Linear(ig, xn, up(t, d, lw.IgW), opt(lw.IgB), s, dm, nh))
		must(t, d.Linear(fg, xn, up(t, d, lw.FgW), opt(lw.FgB), s, dm, nh))
		must(t, d.Softcap(ig, ig, g.GateSoftCap, s*nh))
		must(t, d.Softcap(fg, fg, g.GateSoftCap, s*nh))
		sh := MLSTMShape{Batch: 1, Seq: s, Heads: nh, DK: g.DHQK, DV: g.DHV, Chunk: g.ChunkSize,
			QScale: 1 / math.Sqrt(float64(g.DHQK)), KScale: 1, Eps: g.Eps}
		must(t, d.MLSTMForward(sh, MLSTMTensors{Q: q, K: k, V: vv, I: ig, F: fg, H: h,
			C: zeros(t, d, nh*g.DHQK*g.DHV), N: zeros(t, d, nh*g.DHQK), M: zeros(t, d, nh)}))
		must(t, d.LayerNorm(h, nil, nil, h, opt(lw.MHNorm), s*nh, g.DHV, nh, false, g.NormEps))
		must(t, d.SigmoidGate(h, h, o, s*vd))
		must(t, d.Linear(y, h, up(t, d, lw.OutProj), opt(lw.OutPB), s, vd, dm))
		must(t, d.Add(x, x, y, s*dm))
		must(t, d.RMSNorm(xn, nil, x, up(t, d, lw.NormF), s, dm, g.NormEps))
		must(t, d.Linear(ug, xn, up(t, d, lw.UpGate), opt(lw.UpGateB), s, dm, ff))
		must(t, d.Linear(u, xn, up(t, d, lw.Up), opt(lw.UpB), s, dm, ff))
		must(t, d.Activate(ug, ug, ActSiLU, s*ff))
		must(t, d.Mul(u, u, ug, s*ff))
		must(t, d.Linear(y, u, up(t, d, lw.Down), opt(lw.DownB), s, ff, dm))
		must(t, d.Add(x, x, y, s*dm))
	}
	if w.OutNorm != nil {
		must(t, d.RMSNorm(xn, nil, x, up(t, d, w.OutNorm), s, dm, g.NormEps))
	} else {
		must(t, d.Scale(xn, x, 1, s*dm))
	}
	logits := zeros(t, d, s*v)
	must(t, d.Linear(logits, xn, up(t, d, w.Head), nil, s, dm, v))
	must(t, d.Softcap(logits, logits, g.OutputLogitSoftCap, s*v))
	return down(t, d, logits, s*v)
}

// TestLargeForwardMatchesModel composes the kernels into xLSTM Large's
// forward and compares the logits with runtime/model's reference forward on
// the same random weights and tokens (chunkwise form on both sides).
func TestLargeForwardMatchesModel(t *testing.T) {
	d := openDevice(t)
	m, err := modeltest.Model(modeltest.TinyLarge, 7)
	must(t, err)
	defer m.Close()
	tokens := make([]int, 29) // several chunks of 8 and a partial one
	for i := range tokens {
		tokens[i] = (i*37 + 11) % m.Config().VocabSize
	}
	want, err := m.Forward(tokens)
	must(t, err)
	got := gpuLargeForward(t, d, m, tokens)
	closeTo(t, "large logits", got, f64(want), f32Tol)
}
