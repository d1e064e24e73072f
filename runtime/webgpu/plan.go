package webgpu

import (
	"fmt"
	"math"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// activations are the engine's scratch buffers, sized for chunk tokens and
// shared by its sessions (calls are serialised).
type activations struct {
	seq, tok *buffer // seq[0] = tokens in this call; the token ids
	b        map[string]*buffer
}

func (a *activations) release() {
	if a == nil {
		return
	}
	a.seq.release()
	a.tok.release()
	for _, b := range a.b {
		b.release()
	}
}

// activationSizes returns the float count per token of each scratch buffer.
func activationSizes(cfg *model.Config) map[string]int {
	d := cfg.EmbeddingDim
	sz := map[string]int{"x": d, "xn": d}
	need := func(name string, n int) { sz[name] = max(sz[name], n) }
	if cfg.Family == model.FamilyLarge {
		g := cfg.Large
		need("q", g.QKDim)
		need("k", g.QKDim)
		need("v", g.VDim)
		need("o", g.VDim)
		need("gates", 2*g.NumHeads)
		for _, n := range []string{"h", "hn", "hg"} {
			need(n, g.VDim)
		}
		for _, n := range []string{"ug", "u", "gf"} {
			need(n, g.FFNDim)
		}
		return sz
	}
	for _, s := range cfg.LM.BlockIsSLSTM {
		if s {
			need("xc", d)
			need("wx", 4*d)
			need("h", d)
			need("hn", d)
			if f := cfg.LM.FFN; f != nil {
				need("u", 2*f.Up)
				need("gf", f.Up)
			}
			continue
		}
		mc := cfg.LM.MLSTM
		need("up", 2*mc.Inner)
		need("xa", mc.Inner)
		need("gin", 3*mc.Inner)
		need("gates", 2*mc.NumHeads)
		for _, n := range []string{"h", "hn", "hg"} {
			need(n, mc.Inner)
		}
	}
	return sz
}

func newActivations(d *Device, cfg *model.Config, chunk int, limit uint64) (*activations, error) {
	a := &activations{b: map[string]*buffer{}}
	var err error
	if a.seq, err = d.buffer(16); err != nil {
		return nil, err
	}
	if a.tok, err = d.buffer(4 * chunk); err != nil {
		a.release()
		return nil, err
	}
	// Scratch of the chunkwise mLSTM cell: 64×64 weights per head.
	heads := cfg.LM.MLSTM.NumHeads
	if cfg.Family == model.FamilyLarge {
		heads = cfg.Large.NumHeads
	}
	if a.b["cw"], err = d.buffer(4 * max(heads, 1) * 64 * 64); err != nil {
		a.release()
		return nil, err
	}
	for name, n := range activationSizes(cfg) {
		bytes := uint64(4 * n * chunk)
		if bytes > limit {
			a.release()
			return nil, fmt.Errorf("activation %s of %d bytes exceeds the storage binding limit %d (lower PrefillChunk)", name, bytes, limit)
		}
		if a.b[name], err = d.buffer(int(bytes)); err != nil {
			a.release()
			return nil, err
		}
	}
	return a, nil
}

// planner writes one forward form into a builder.
type planner struct {
	*builder
	e       *Engine
	s       *Session
	rows    int  // token capacity of the form (1 for step)
	prefill bool // tiled matmul instead of matvec
}

func (p *planner) buf(name string) *buffer { return p.e.act.b[name] }

func (p *planner) opt(b *buffer) *buffer {
	if b == nil {
		return p.e.w.dummy
	}
	return b
}

func ceil(a, b int) int { return (a + b - 1) / b }

// lmChunk is the original LM's prefill chunk length (as runtime/model).
const lmChunk = 64

// linear: y[t, yo:yo+rows] (+)= W x[t, xo:xo+cols] (+ bias), soft-capped
// when cap > 0, for every part of W.
func (p *planner) linear(m *matrix, bias *buffer, x *buffer, xs, xo int, y *buffer, ys, yo int, accumulate bool, softcap float64) {
	if m == nil {
		p.err = fmt.Errorf("webgpu: missing matrix")
		return
	}
	flags := 0
	if bias != nil {
		flags |= 1
	}
	if accumulate {
		flags |= 2
	}
	if softcap > 0 {
		flags |= 4
	}
	for _, part := range m.parts {
		params := []any{part.rows, m.cols, xs, xo, ys, yo + part.row0, max(m.group, 1), flags, float32(softcap), part.row0, 0, 0}
		bufs := []*buffer{p.e.act.seq, part.wq, part.ws, p.opt(bias), x, y}
		switch {
		case p.e.rows:
			p.add("linear_rows", m.format, params, bufs, ceil(part.rows, 64), ceil(p.rows, 8), 1)
		case p.prefill:
			p.add("matmul", m.format, params, bufs, ceil(part.rows, 16), ceil(p.rows, 16), 1)
		default:
			p.add("matvec", m.format, params, bufs, min(part.rows, 65535), ceil(part.rows, 65535), 1)
		}
	}
}

// norm: mode 0 layer norm, 1 RMS norm; groups g; weight w scaled plainly or
// as an offset (1 + w).
func (p *planner) norm(mode int, w *buffer, offset bool, eps float64, g int, x *buffer, xs, xo int, y *buffer, ys, yo, d int) {
	wmode := 0
	if w != nil {
		wmode = 1
		if offset {
			wmode = 2
		}
	}
	p.add("norm", "", []any{d, g, xs, xo, ys, yo, mode, wmode, float32(eps), 0, 0, 0},
		[]*buffer{p.e.act.seq, p.opt(w), x, y}, g, p.rows, 1)
}

func (p *planner) headwise(w, bias *buffer, nph, inPer, outPer int, x *buffer, xs, xo int, y *buffer, ys, yo int) {
	flags := 0
	if bias != nil {
		flags = 1
	}
	p.add("headwise", "", []any{nph, inPer, outPer, xs, xo, ys, yo, flags},
		[]*buffer{p.e.act.seq, w, p.opt(bias), x, y}, ceil(nph*outPer, 64), p.rows, 1)
}

func (p *planner) conv(w, b, state *buffer, c, k int, x *buffer, xs, xo int, y *buffer, silu bool) {
	if state == nil {
		state = p.e.w.scratch // k = 0: no state, but a distinct writable binding
	}
	p.add("conv", "", []any{c, k, xs, xo, silu, 0, 0, 0},
		[]*buffer{p.e.act.seq, p.opt(w), p.opt(b), state, x, y}, ceil(c, 64), 1, 1)
}

// ew: see shaders/ew.wgsl; operands are (buffer, row stride, offset).
type operand struct {
	b       *buffer
	st, off int
}

func (p *planner) ew(op, act, w int, a, b, d operand, c *buffer, o operand) {
	z := operand{b: p.e.w.dummy}
	for _, x := range []*operand{&a, &b, &d} {
		if x.b == nil {
			*x = z
		}
	}
	p.add("ew", "", []any{op, act, w, a.st, a.off, b.st, b.off, d.st, d.off, o.st, o.off, 0},
		[]*buffer{p.e.act.seq, a.b, b.b, d.b, p.opt(c), o.b}, ceil(w, 64), p.rows, 1)
}

// build records the whole forward: embedding, blocks, final norm, head
// (every row's logits into the session's logits buffer).
func (p *planner) build() {
	e, cfg := p.e, p.e.cfg
	d, v := cfg.EmbeddingDim, cfg.VocabSize
	x := p.buf("x")
	for _, part := range e.w.embed.parts {
		p.add("embed", e.w.embed.format, []any{d, part.row0, part.rows, max(e.w.embed.group, 1)},
			[]*buffer{e.act.seq, part.wq, part.ws, e.act.tok, x}, ceil(d, 64), p.rows, 1)
	}
	for i := range e.w.blocks {
		switch {
		case cfg.Family == model.FamilyLarge:
			p.large(i)
		case cfg.LM.BlockIsSLSTM[i]:
			p.slstm(i)
		default:
			p.mlstm(i)
		}
	}
	head := x
	if e.w.outNorm != nil {
		head = p.buf("xn")
		if cfg.Family == model.FamilyLarge {
			p.norm(1, e.w.outNorm, false, cfg.Large.NormEps, 1, x, d, 0, head, d, 0, d)
		} else {
			p.norm(0, e.w.outNorm, true, 1e-5, 1, x, d, 0, head, d, 0, d)
		}
	}
	var softcap float64
	if cfg.Family == model.FamilyLarge {
		softcap = cfg.Large.OutputLogitSoftCap
	}
	p.linear(e.w.head, nil, head, d, 0, p.s.logits, v, 0, false, softcap)
}

// mlstm is an original-LM mLSTM block (SPEC §2–§4; runtime/model lm.go).
func (p *planner) mlstm(i int) {
	cfg, w, st := p.e.cfg, p.e.w.blocks[i], p.s.state[i]
	mc, d := cfg.LM.MLSTM, cfg.EmbeddingDim
	in, nh, dh := mc.Inner, mc.NumHeads, mc.HeadDim
	nph, bs := in/mc.QKVProjBlockSize, mc.QKVProjBlockSize
	x, xn, up, xa, gin, gates := p.buf("x"), p.buf("xn"), p.buf("up"), p.buf("xa"), p.buf("gin"), p.buf("gates")
	h, hn, hg := p.buf("h"), p.buf("hn"), p.buf("hg")
	p.norm(0, w.vec["norm"], true, 1e-5, 1, x, d, 0, xn, d, 0, d)
	p.linear(w.mat["projUp"], w.vec["projUpB"], xn, d, 0, up, 2*in, 0, false, 0)
	p.conv(w.vec["convW"], w.vec["convB"], st.conv, in, mc.ConvKernelSize, up, 2*in, 0, xa, true)
	p.headwise(w.vec["qW"], w.vec["qB"], nph, bs, bs, xa, in, 0, gin, 3*in, 0)
	p.headwise(w.vec["kW"], w.vec["kB"], nph, bs, bs, xa, in, 0, gin, 3*in, in)
	p.headwise(w.vec["vW"], w.vec["vB"], nph, bs, bs, up, 2*in, 0, gin, 3*in, 2*in)
	p.linear(w.mat["ig"], w.vec["igB"], gin, 3*in, 0, gates, 2*nh, 0, false, 0)
	p.linear(w.mat["fg"], w.vec["fgB"], gin, 3*in, 0, gates, 2*nh, nh, false, 0)
	p.cell(nh, dh, dh, gin, 3*in, 0, gin, 3*in, in, gin, 3*in, 2*in, gates, 2*nh, st.mem, h, in, 1, 1/math.Sqrt(float64(dh)), 1e-6, lmChunk)
	p.norm(0, w.vec["outNorm"], true, 1e-5, nh, h, in, 0, hn, in, 0, in)
	p.ew(1, 0, in, operand{hn, in, 0}, operand{xa, in, 0}, operand{up, 2 * in, in}, w.vec["skip"], operand{hg, in, 0})
	p.linear(w.mat["projDown"], w.vec["projDownB"], hg, in, 0, x, d, 0, true, 0)
}

// cell runs the mLSTM memory over the call's tokens: the recurrent form
// for step, the chunkwise one (chunks of chunk ≤ 64) for prefill.
func (p *planner) cell(nh, dk, dv int, q *buffer, qst, qo int, k *buffer, kst, ko int, v *buffer, vst, vo int, g *buffer, gst int, mem, h *buffer, hst int, qs, ks, eps float64, chunk int) {
	params := []any{nh, dk, dv, qst, qo, kst, ko, vst, vo, gst, 0, nh, hst, 0, min(chunk, 64), 0, float32(qs), float32(ks), float32(eps), 0}
	if p.prefill {
		p.add("mlstm_chunk", "", params, []*buffer{p.e.act.seq, q, k, v, g, mem, h, p.buf("cw")}, nh, 1, 1)
		return
	}
	p.add("mlstm_step", "", params, []*buffer{p.e.act.seq, q, k, v, g, mem, h}, nh, 1, 1)
}

// slstm is an original-LM sLSTM block with its FFN (SPEC §5).
func (p *planner) slstm(i int) {
	cfg, w, st := p.e.cfg, p.e.w.blocks[i], p.s.state[i]
	sc, d := cfg.LM.SLSTM, cfg.EmbeddingDim
	nh, dh := sc.NumHeads, sc.HeadDim
	x, xn, xc, wx, y, yn := p.buf("x"), p.buf("xn"), p.buf("xc"), p.buf("wx"), p.buf("h"), p.buf("hn")
	p.norm(0, w.vec["norm"], true, 1e-5, 1, x, d, 0, xn, d, 0, d)
	hasConv := sc.ConvKernelSize > 0
	p.conv(w.vec["convW"], w.vec["convB"], st.conv, d, sc.ConvKernelSize, xn, d, 0, xc, hasConv)
	p.headwise(w.vec["iW"], nil, nh, dh, dh, xc, d, 0, wx, 4*d, 0)
	p.headwise(w.vec["fW"], nil, nh, dh, dh, xc, d, 0, wx, 4*d, d)
	p.headwise(w.vec["zW"], nil, nh, dh, dh, xn, d, 0, wx, 4*d, 2*d)
	p.headwise(w.vec["oW"], nil, nh, dh, dh, xn, d, 0, wx, 4*d, 3*d)
	p.add("slstm", "", []any{nh, dh, 4 * d, d}, []*buffer{p.e.act.seq, wx, w.vec["r"], w.vec["bias"], st.mem, y}, nh, 1, 1)
	p.norm(0, w.vec["groupNorm"], true, 1e-5, nh, y, d, 0, yn, d, 0, d)
	p.ew(4, 0, d, operand{yn, d, 0}, operand{}, operand{}, nil, operand{x, d, 0})
	f := cfg.LM.FFN
	if f == nil {
		return
	}
	u, gf := p.buf("u"), p.buf("gf")
	p.norm(0, w.vec["ffnNorm"], true, 1e-5, 1, x, d, 0, xn, d, 0, d)
	p.linear(w.mat["ffnUp"], w.vec["ffnUpB"], xn, d, 0, u, 2*f.Up, 0, false, 0)
	p.ew(3, actCode(f.ActFn), f.Up, operand{u, 2 * f.Up, 0}, operand{u, 2 * f.Up, f.Up}, operand{}, nil, operand{gf, f.Up, 0})
	p.linear(w.mat["ffnDown"], w.vec["ffnDownB"], gf, f.Up, 0, x, d, 0, true, 0)
}

// large is an xLSTM Large block (SPEC §8; runtime/model large.go).
func (p *planner) large(i int) {
	cfg, w, st := p.e.cfg, p.e.w.blocks[i], p.s.state[i]
	g, d := cfg.Large, cfg.EmbeddingDim
	qk, vd, nh, ff := g.QKDim, g.VDim, g.NumHeads, g.FFNDim
	x, xn := p.buf("x"), p.buf("xn")
	q, k, v, o, gates := p.buf("q"), p.buf("k"), p.buf("v"), p.buf("o"), p.buf("gates")
	h, hn, hg := p.buf("h"), p.buf("hn"), p.buf("hg")
	p.norm(1, w.vec["normM"], false, g.NormEps, 1, x, d, 0, xn, d, 0, d)
	p.linear(w.mat["q"], w.vec["qB"], xn, d, 0, q, qk, 0, false, 0)
	p.linear(w.mat["k"], w.vec["kB"], xn, d, 0, k, qk, 0, false, 0)
	p.linear(w.mat["v"], w.vec["vB"], xn, d, 0, v, vd, 0, false, 0)
	p.linear(w.mat["o"], w.vec["oB"], xn, d, 0, o, vd, 0, false, 0)
	p.linear(w.mat["ig"], w.vec["igB"], xn, d, 0, gates, 2*nh, 0, false, g.GateSoftCap)
	p.linear(w.mat["fg"], w.vec["fgB"], xn, d, 0, gates, 2*nh, nh, false, g.GateSoftCap)
	p.cell(nh, g.DHQK, g.DHV, q, qk, 0, k, qk, 0, v, vd, 0, gates, 2*nh, st.mem, h, vd, 1/math.Sqrt(float64(g.DHQK)), 1, g.Eps, g.ChunkSize)
	p.norm(0, w.vec["mhNorm"], false, g.NormEps, nh, h, vd, 0, hn, vd, 0, vd)
	p.ew(2, 0, vd, operand{hn, vd, 0}, operand{o, vd, 0}, operand{}, nil, operand{hg, vd, 0})
	p.linear(w.mat["outProj"], w.vec["outPB"], hg, vd, 0, x, d, 0, true, 0)
	ug, u, gf := p.buf("ug"), p.buf("u"), p.buf("gf")
	p.norm(1, w.vec["normF"], false, g.NormEps, 1, x, d, 0, xn, d, 0, d)
	p.linear(w.mat["upGate"], w.vec["upGateB"], xn, d, 0, ug, ff, 0, false, 0)
	p.linear(w.mat["up"], w.vec["upB"], xn, d, 0, u, ff, 0, false, 0)
	p.ew(3, 4, ff, operand{ug, ff, 0}, operand{u, ff, 0}, operand{}, nil, operand{gf, ff, 0})
	p.linear(w.mat["down"], w.vec["downB"], gf, ff, 0, x, d, 0, true, 0)
}
