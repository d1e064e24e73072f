//go:build cuda || cudaemu

package cuda

import (
	"math"
	"math/rand/v2"
	"testing"
)

// mlstmRef is the recurrent mLSTM from a zero memory in float64 (SPEC §4.2,
// §8.1), one (batch, head) at a time, on dense layouts; it returns h.
func mlstmRef[T float32 | float64](s MLSTMShape, q, k, v, ig, fg []T) []float64 {
	nh, dk, dv := s.Heads, s.DK, s.DV
	h := make([]float64, s.Batch*s.Seq*nh*dv)
	for b := 0; b < s.Batch; b++ {
		for hh := 0; hh < nh; hh++ {
			c := make([]float64, dk*dv)
			n := make([]float64, dk)
			m := 0.0
			for t := 0; t < s.Seq; t++ {
				r := b*s.Seq + t
				lf := logsigmoid64(float64(fg[r*nh+hh]))
				iv := float64(ig[r*nh+hh])
				mNew := max(lf+m, iv)
				fa, ia := math.Exp(lf+m-mNew), math.Exp(iv-mNew)
				for a := 0; a < dk; a++ {
					ka := float64(k[r*nh*dk+hh*dk+a]) * s.KScale
					n[a] = fa*n[a] + ia*ka
					for j := 0; j < dv; j++ {
						c[a*dv+j] = fa*c[a*dv+j] + ia*ka*float64(v[r*nh*dv+hh*dv+j])
					}
				}
				var qn float64
				out := h[r*nh*dv+hh*dv : r*nh*dv+(hh+1)*dv]
				for a := 0; a < dk; a++ {
					qa := float64(q[r*nh*dk+hh*dk+a]) * s.QScale
					qn += qa * n[a]
					for j := 0; j < dv; j++ {
						out[j] += qa * c[a*dv+j]
					}
				}
				den := max(math.Abs(qn), math.Exp(-mNew)) + s.Eps
				for j := range out {
					out[j] /= den
				}
				m = mNew
			}
		}
	}
	return h
}

type mlstmCase struct {
	name string
	s    MLSTMShape
}

func mlstmCases() []mlstmCase {
	return []mlstmCase{
		{"lm-like", MLSTMShape{Batch: 2, Seq: 21, Heads: 2, DK: 8, DV: 8, Chunk: 64, QScale: 1, KScale: 1 / math.Sqrt(8), Eps: 1e-6}},
		{"large-like", MLSTMShape{Batch: 1, Seq: 37, Heads: 3, DK: 16, DV: 32, Chunk: 8, QScale: 0.25, KScale: 1, Eps: 1e-6}},
		{"one chunk per step", MLSTMShape{Batch: 1, Seq: 5, Heads: 1, DK: 4, DV: 4, Chunk: 1, QScale: 0.5, KScale: 1, Eps: 1e-6}},
		{"wide heads", MLSTMShape{Batch: 1, Seq: 70, Heads: 1, DK: 300, DV: 260, Chunk: 64, QScale: 1 / math.Sqrt(300), KScale: 1, Eps: 1e-6}},
	}
}

type mlstmInputs struct {
	q, k, v, ig, fg []float32
}

// newMLSTMInputs draws random cell inputs; igShift moves the input gates
// (and so m_t) up, which keeps |q̂·n| clear of e^{−m_t}, the kink of the
// normaliser, for finite differences.
func newMLSTMInputs(r *rand.Rand, s MLSTMShape, igShift float32) mlstmInputs {
	rows := s.Batch * s.Seq
	in := mlstmInputs{
		q: randVec(r, rows*s.Heads*s.DK, 1), k: randVec(r, rows*s.Heads*s.DK, 1), v: randVec(r, rows*s.Heads*s.DV, 1),
		ig: randVec(r, rows*s.Heads, 2), fg: randVec(r, rows*s.Heads, 2),
	}
	for i := range in.fg {
		in.fg[i] += 2 // forget gates mostly open, as trained models have them
	}
	for i := range in.ig {
		in.ig[i] += igShift
	}
	return in
}

// runMLSTM runs the GPU forward from a zero memory and returns h, m rows
// and q̂·n rows (all dense).
func runMLSTM(t testing.TB, d *Device, s MLSTMShape, in mlstmInputs) (h, mrow, qnrow []float32, bufs MLSTMTensors) {
	t.Helper()
	rows, bh := s.Batch*s.Seq, s.Batch*s.Heads
	bufs = MLSTMTensors{
		Q: up(t, d, in.q), K: up(t, d, in.k), V: up(t, d, in.v), I: up(t, d, in.ig), F: up(t, d, in.fg),
		H: zeros(t, d, rows*s.Heads*s.DV), C: zeros(t, d, bh*s.DK*s.DV), N: zeros(t, d, bh*s.DK), M: zeros(t, d, bh),
		MRow: zeros(t, d, bh*s.Seq), QNRow: zeros(t, d, bh*s.Seq),
	}
	must(t, d.MLSTMForward(s, bufs))
	return down(t, d, bufs.H, rows*s.Heads*s.DV), down(t, d, bufs.MRow, bh*s.Seq), down(t, d, bufs.QNRow, bh*s.Seq), bufs
}

func TestMLSTMForward(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(21, 22))
	for _, tc := range mlstmCases() {
		t.Run(tc.name, func(t *testing.T) {
			in := newMLSTMInputs(r, tc.s, 0)
			h, _, _, _ := runMLSTM(t, d, tc.s, in)
			closeTo(t, "mlstm h", h, mlstmRef(tc.s, in.q, in.k, in.v, in.ig, in.fg), f32Tol)
		})
	}
}

// TestMLSTMStateContinues splits a sequence in two launches: the memory
// carried between them must give the same outputs as one launch.
func TestMLSTMStateContinues(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(23, 24))
	s := MLSTMShape{Batch: 1, Seq: 30, Heads: 2, DK: 8, DV: 8, Chunk: 8, QScale: 1, KScale: 0.35, Eps: 1e-6}
	in := newMLSTMInputs(r, s, 0)
	want := mlstmRef(s, in.q, in.k, in.v, in.ig, in.fg)
	bh := s.Heads
	c, n, m := zeros(t, d, bh*64), zeros(t, d, bh*8), zeros(t, d, bh)
	var got []float32
	for _, part := range [][2]int{{0, 13}, {13, 30}} {
		p := s
		p.Seq = part[1] - part[0]
		sl := func(x []float32, w int) []float32 { return x[part[0]*w : part[1]*w] }
		h := zeros(t, d, p.Seq*16)
		must(t, d.MLSTMForward(p, MLSTMTensors{Q: up(t, d, sl(in.q, 16)), K: up(t, d, sl(in.k, 16)), V: up(t, d, sl(in.v, 16)),
			I: up(t, d, sl(in.ig, 2)), F: up(t, d, sl(in.fg, 2)), H: h, C: c, N: n, M: m}))
		got = append(got, down(t, d, h, p.Seq*16)...)
	}
	closeTo(t, "mlstm h (two launches)", got, want, f32Tol)
}

// slstmRef is the sLSTM recurrence from a fresh zero state in float64.
func slstmRef[T float32 | float64](s SLSTMShape, wx, r, bias []T) []float64 {
	H, dh := s.Heads*s.DH, s.DH
	y := make([]float64, s.Batch*s.Seq*H)
	for b := 0; b < s.Batch; b++ {
		c, n, m, yp := make([]float64, H), make([]float64, H), make([]float64, H), make([]float64, H)
		raw := make([]float64, 4*H)
		for t := 0; t < s.Seq; t++ {
			row := b*s.Seq + t
			for g := 0; g < 4; g++ {
				for h := 0; h < s.Heads; h++ {
					for j := 0; j < dh; j++ {
						idx := g*H + h*dh + j
						var dot float64
						for u := 0; u < dh; u++ {
							dot += yp[h*dh+u] * float64(r[(h*4*dh+g*dh+j)*dh+u])
						}
						raw[idx] = float64(wx[row*4*H+idx]) + dot + float64(bias[idx])
					}
				}
			}
			for j := 0; j < H; j++ {
				ir, fr, zr, or := raw[j], raw[H+j], raw[2*H+j], raw[3*H+j]
				logfm := m[j] + logsigmoid64(fr)
				mNew := max(ir, logfm)
				if t == 0 {
					mNew = ir
				}
				ig, fg := min(math.Exp(ir-mNew), 1), min(math.Exp(logfm-mNew), 1)
				c[j] = fg*c[j] + ig*math.Tanh(zr)
				n[j] = fg*n[j] + ig
				m[j] = mNew
				yp[j] = sigmoid64(or) * c[j] / n[j]
				y[row*H+j] = yp[j]
			}
		}
	}
	return y
}

type slstmInputs struct{ wx, r, bias []float32 }

func newSLSTMInputs(rg *rand.Rand, s SLSTMShape) slstmInputs {
	H := s.Heads * s.DH
	return slstmInputs{wx: randVec(rg, s.Batch*s.Seq*4*H, 1), r: randVec(rg, s.Heads*4*s.DH*s.DH, 1/math.Sqrt(float64(s.DH))), bias: randVec(rg, 4*H, 0.5)}
}

func runSLSTM(t testing.TB, d *Device, s SLSTMShape, in slstmInputs) ([]float32, SLSTMTensors) {
	t.Helper()
	rows, H := s.Batch*s.Seq, s.Heads*s.DH
	b := SLSTMTensors{WX: up(t, d, in.wx), R: up(t, d, in.r), Bias: up(t, d, in.bias), Y: zeros(t, d, rows*H),
		C: zeros(t, d, s.Batch*H), N: zeros(t, d, s.Batch*H), M: zeros(t, d, s.Batch*H), YS: zeros(t, d, s.Batch*H),
		Raw: zeros(t, d, rows*4*H), CS: zeros(t, d, rows*H), NS: zeros(t, d, rows*H), MS: zeros(t, d, rows*H)}
	must(t, d.SLSTMForward(s, b, true))
	return down(t, d, b.Y, rows*H), b
}

func slstmCases() []SLSTMShape {
	return []SLSTMShape{{Batch: 2, Seq: 11, Heads: 2, DH: 8}, {Batch: 1, Seq: 40, Heads: 4, DH: 16}, {Batch: 1, Seq: 3, Heads: 1, DH: 256}}
}

func TestSLSTMForward(t *testing.T) {
	d := openDevice(t)
	rg := rand.New(rand.NewPCG(25, 26))
	for _, s := range slstmCases() {
		in := newSLSTMInputs(rg, s)
		y, _ := runSLSTM(t, d, s, in)
		closeTo(t, "slstm y", y, slstmRef(s, in.wx, in.r, in.bias), f32Tol)
	}
}

// TestSLSTMStateContinues splits a sequence in two launches (fresh, then
// continuing from the carried state): the outputs must match one launch.
func TestSLSTMStateContinues(t *testing.T) {
	d := openDevice(t)
	rg := rand.New(rand.NewPCG(27, 28))
	s := SLSTMShape{Batch: 2, Seq: 12, Heads: 2, DH: 8}
	in := newSLSTMInputs(rg, s)
	want := slstmRef(s, in.wx, in.r, in.bias)
	H := s.Heads * s.DH
	c, n, m, ys := zeros(t, d, s.Batch*H), zeros(t, d, s.Batch*H), zeros(t, d, s.Batch*H), zeros(t, d, s.Batch*H)
	bR, bB := up(t, d, in.r), up(t, d, in.bias)
	got := make([]float32, s.Batch*s.Seq*H)
	for i, part := range [][2]int{{0, 5}, {5, 12}} {
		p := s
		p.Seq = part[1] - part[0]
		wx := make([]float32, 0, s.Batch*p.Seq*4*H)
		for b := 0; b < s.Batch; b++ {
			wx = append(wx, in.wx[(b*s.Seq+part[0])*4*H:(b*s.Seq+part[1])*4*H]...)
		}
		y := zeros(t, d, s.Batch*p.Seq*H)
		must(t, d.SLSTMForward(p, SLSTMTensors{WX: up(t, d, wx), R: bR, Bias: bB, Y: y, C: c, N: n, M: m, YS: ys}, i == 0))
		out := down(t, d, y, s.Batch*p.Seq*H)
		for b := 0; b < s.Batch; b++ {
			copy(got[(b*s.Seq+part[0])*H:(b*s.Seq+part[1])*H], out[b*p.Seq*H:(b+1)*p.Seq*H])
		}
	}
	closeTo(t, "slstm y (two launches)", got, want, f32Tol)
}
