package model

import (
	"math"

	"github.com/xlstm-go/xlstm/runtime/kernels"
)

// view is a strided window on a row-major (rows × stride) matrix: row t is
// data[t*stride+off : t*stride+off+width]. It lets the cell read one head's
// columns of q, k, v without copying them out.
type view[F Float] struct {
	data               []F
	stride, off, width int
}

func (v view[F]) row(t int) []F {
	i := t*v.stride + v.off
	return v.data[i : i+v.width]
}

// at returns the single element of row t (for width-1 gate views).
func (v view[F]) at(t int) F { return v.data[t*v.stride+v.off] }

// mlstmHead is one head's inputs and memory. The original LM scales keys by
// 1/sqrt(DH) and xLSTM Large scales queries by 1/sqrt(DQK) (SPEC §4, §8.1):
// qs and ks carry those factors, so one set of kernels serves both and the
// state keeps each family's own convention.
type mlstmHead[F Float] struct {
	q, k, v view[F] // (S × DK), (S × DK), (S × DV)
	i, f    view[F] // gate pre-activations (S × 1), soft-capped where the family does
	h       view[F] // output h̃ (S × DV)
	qs, ks  F
	eps     float64
	c, n    []F // memory (DK × DV), (DK)
	m       *F  // stabiliser
}

// recurrent walks the sequence one step at a time (SPEC §4.2, §8.1);
// scratch needs 2·DK elements:
//
//	m' = max(logσ(f̃)+m, ĩ);  fa = exp(logσ(f̃)+m−m');  ia = exp(ĩ−m')
//	C' = fa·C + ia·k̂ vᵀ;  n' = fa·n + ia·k̂
//	h̃ = (q̂ᵀC') / (max(|q̂·n'|, exp(−m')) + eps)
func (hd *mlstmHead[F]) recurrent(s int, scratch []F) {
	dk, dv := hd.q.width, hd.v.width
	for t := 0; t < s; t++ {
		q, k, v, h := hd.q.row(t), hd.k.row(t), hd.v.row(t), hd.h.row(t)
		lf := logsigmoid(hd.f.at(t))
		ig := hd.i.at(t)
		mNew := max(lf+*hd.m, ig)
		fa, ia := exp(lf+*hd.m-mNew), exp(ig-mNew)
		var qn F
		if c32, ok := any(hd.c).([]float32); ok {
			// One fused pass over C (update and read-out per row), the
			// same arithmetic as the axpby/axpy loops below.
			b, qv := scratch[:dk], scratch[dk:2*dk]
			for a := 0; a < dk; a++ {
				ka := k[a] * hd.ks
				hd.n[a] = fa*hd.n[a] + ia*ka
				b[a], qv[a] = ia*ka, q[a]*hd.qs
				qn += qv[a] * hd.n[a]
			}
			clear(h)
			kernels.RankOneRead(c32, float32(fa), any(b).([]float32), any(v).([]float32), any(qv).([]float32), any(h).([]float32))
		} else {
			for a := 0; a < dk; a++ {
				ka := k[a] * hd.ks
				hd.n[a] = fa*hd.n[a] + ia*ka
				axpby(fa, hd.c[a*dv:(a+1)*dv], ia*ka, v) // C[a,:] = fa·C[a,:] + ia·k̂[a]·v
			}
			clear(h)
			for a := 0; a < dk; a++ {
				qa := q[a] * hd.qs
				qn += qa * hd.n[a]
				axpy(qa, hd.c[a*dv:(a+1)*dv], h) // h += q̂[a]·C[a,:]
			}
		}
		den := F(math.Max(math.Abs(float64(qn)), math.Exp(-float64(mNew))) + hd.eps)
		for b := range h {
			h[b] /= den
		}
		*hd.m = mNew
	}
}

// chunkwise walks the sequence in chunks of length chunk (SPEC §8.1). Within
// a chunk, with b_t the cumulative logσ(f̃) up to t:
//
//	m_t = max(b_t + m_prev, max_{j≤t}(b_t − b_j + ĩ_j))
//	h̃_t ∝ e^{b_t+m_prev−m_t} q̂ᵀC_prev + Σ_{j≤t} e^{b_t−b_j+ĩ_j−m_t} (q̂·k̂_j) v_j
//
// and the memory moves to the chunk's end the same way. It equals the
// recurrent form in exact arithmetic. scratch needs 2*chunk elements.
func (hd *mlstmHead[F]) chunkwise(s, chunk int, scratch []F) {
	dk, dv := hd.q.width, hd.v.width
	cum, logw := scratch[:chunk], scratch[chunk:2*chunk]
	for start := 0; start < s; start += chunk {
		l := min(chunk, s-start)
		var acc F
		for t := 0; t < l; t++ {
			acc += logsigmoid(hd.f.at(start + t))
			cum[t] = acc
		}
		mPrev := *hd.m
		for t := 0; t < l; t++ {
			mt := cum[t] + mPrev
			for j := 0; j <= t; j++ {
				logw[j] = cum[t] - cum[j] + hd.i.at(start+j)
				mt = max(mt, logw[j])
			}
			inter := exp(cum[t] + mPrev - mt)
			q, h := hd.q.row(start+t), hd.h.row(start+t)
			clear(h)
			var qn F
			for a := 0; a < dk; a++ {
				qa := q[a] * hd.qs * inter
				qn += qa * hd.n[a]
				axpy(qa, hd.c[a*dv:(a+1)*dv], h)
			}
			for j := 0; j <= t; j++ {
				w := exp(logw[j]-mt) * dot(q, hd.k.row(start+j)) * hd.qs * hd.ks
				qn += w
				axpy(w, hd.v.row(start+j), h)
			}
			den := F(math.Max(math.Abs(float64(qn)), math.Exp(-float64(mt))) + hd.eps)
			for b := range h {
				h[b] /= den
			}
		}
		// Move the memory to the end of the chunk.
		last := cum[l-1]
		mEnd := last + mPrev
		for j := 0; j < l; j++ {
			logw[j] = last - cum[j] + hd.i.at(start+j)
			mEnd = max(mEnd, logw[j])
		}
		g := exp(last + mPrev - mEnd)
		for a := range hd.n {
			hd.n[a] *= g
		}
		for a := range hd.c {
			hd.c[a] *= g
		}
		for j := 0; j < l; j++ {
			w := exp(logw[j] - mEnd)
			k, v := hd.k.row(start+j), hd.v.row(start+j)
			for a := 0; a < dk; a++ {
				ka := w * k[a] * hd.ks
				hd.n[a] += ka
				axpy(ka, v, hd.c[a*dv:(a+1)*dv])
			}
		}
		*hd.m = mEnd
	}
}

// parallel is the original LM's full-sequence form from a zero state
// (parallel_stabilized_simple, SPEC §4.1). It leaves the memory untouched.
// It differs from the recurrent form by the eps·e^m term (SPEC §4.3).
// scratch needs 2*s elements.
func (hd *mlstmHead[F]) parallel(s int, scratch []F) {
	cum, w := scratch[:s], scratch[s:2*s]
	var acc F
	for t := 0; t < s; t++ {
		acc += logsigmoid(hd.f.at(t))
		cum[t] = acc
	}
	for t := 0; t < s; t++ {
		mt := F(math.Inf(-1))
		for j := 0; j <= t; j++ {
			w[j] = cum[t] - cum[j] + hd.i.at(j)
			mt = max(mt, w[j])
		}
		q, h := hd.q.row(t), hd.h.row(t)
		var sum F
		for j := 0; j <= t; j++ {
			w[j] = dot(q, hd.k.row(j)) * hd.qs * hd.ks * exp(w[j]-mt)
			sum += w[j]
		}
		den := F(math.Max(math.Abs(float64(sum)), math.Exp(-float64(mt))) + hd.eps)
		clear(h)
		for j := 0; j <= t; j++ {
			axpy(w[j]/den, hd.v.row(j), h)
		}
	}
}

// convStep pushes x into the conv buffer (K × C, oldest first) and writes
// the causal depthwise conv output (SPEC §3.1, §6): the newest input pairs
// with weight[..., K-1]. w is (C, K).
func convStep[F Float](y, x, buf, w, bias []F) {
	c := len(x)
	k := len(buf) / c
	copy(buf, buf[c:])
	copy(buf[(k-1)*c:], x)
	if y32, ok := any(y).([]float32); ok && k == 4 {
		conv4(y32, any(buf).([]float32), any(w).([]float32), any(bias).([]float32))
		return
	}
	for ch := 0; ch < c; ch++ {
		s := bias[ch]
		for j := 0; j < k; j++ {
			s += buf[j*c+ch] * w[ch*k+j]
		}
		y[ch] = s
	}
}

// conv4 is convStep's sums for four taps in float32, the same operations in
// the same order, from four contiguous rows of buf.
func conv4(y, buf, w, bias []float32) {
	c := len(y)
	b0, b1, b2, b3 := buf[:c], buf[c:2*c], buf[2*c:3*c], buf[3*c:4*c]
	w, bias = w[:4*c], bias[:c]
	for ch := range y {
		ws := w[4*ch : 4*ch+4 : 4*ch+4]
		s := bias[ch] + b0[ch]*ws[0]
		s += b1[ch] * ws[1]
		s += b2[ch] * ws[2]
		s += b3[ch] * ws[3]
		y[ch] = s
	}
}
