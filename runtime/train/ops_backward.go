package train

import (
	"math"
	"unsafe"

	"github.com/xlstm-go/xlstm/runtime/kernels"
	"github.com/xlstm-go/xlstm/runtime/model"
)

// The shared forward/backward ops. Conventions: matrices are row-major,
// activations are (n rows × features); every backward ADDS into its
// gradient outputs (dx, dw, db), as autograd accumulates, so callers clear
// gradients once and several uses of a tensor sum up. nil gradient outputs
// are skipped. float32 goes through runtime/kernels; float64 (the tests'
// exact path) uses plain loops accumulating in float64.

// scratch hands out temporary slices; reset makes them reusable. After a
// reset it holds one buffer as large as the previous round's high-water
// mark, so a repeated workload stops allocating after its first run.
type scratch[F model.Float] struct {
	buf        []F
	off        int
	gen        int // bumped when a fresh buffer is started
	used, high int // live elements and their maximum since reset
}

// scratchMark is a position to release back to.
type scratchMark struct{ off, gen, used int }

// take returns n zeroed elements.
func (s *scratch[F]) take(n int) []F {
	out := s.takeDirty(n)
	clear(out)
	return out
}

// takeDirty returns n elements without clearing them, for buffers the
// caller overwrites completely.
func (s *scratch[F]) takeDirty(n int) []F {
	s.used += n
	s.high = max(s.high, s.used)
	if s.off+n > len(s.buf) {
		s.buf = make([]F, max(n, 2*len(s.buf)))
		s.off = 0
		s.gen++
	}
	out := s.buf[s.off : s.off+n : s.off+n]
	s.off += n
	return out
}

// reset releases everything taken since the last reset.
func (s *scratch[F]) reset() {
	if s.high > len(s.buf) {
		s.buf = make([]F, s.high)
		s.gen++
	}
	s.off, s.used, s.high = 0, 0, 0
}

// mark and release give stack-like reuse inside one round.
func (s *scratch[F]) mark() scratchMark { return scratchMark{s.off, s.gen, s.used} }

func (s *scratch[F]) release(m scratchMark) {
	s.used = m.used
	if s.gen == m.gen {
		s.off = m.off
	}
}

// matmulT computes y[t·rows+r] = Σ_k w[r·n+k]·x[t·n+k] for every row t of x
// (y = x·wᵀ), overwriting y: kernels.MatMul's contract.
func matmulT[F model.Float](y, w, x []F, rows, n int) {
	if y32, ok := any(y).([]float32); ok {
		kernels.MatMul(y32, any(w).([]float32), any(x).([]float32), rows, n)
		return
	}
	s := len(x) / n
	for t := 0; t < s; t++ {
		xt := x[t*n : (t+1)*n]
		for r := 0; r < rows; r++ {
			wr := w[r*n : (r+1)*n]
			var acc float64
			for k, v := range xt {
				acc += float64(wr[k]) * float64(v)
			}
			y[t*rows+r] = F(acc)
		}
	}
}

// transpose writes the (cols × rows) transpose of a (rows × cols) matrix.
func transpose[F model.Float](dst, src []F, rows, cols int) {
	const blk = 32
	for r0 := 0; r0 < rows; r0 += blk {
		r1 := min(r0+blk, rows)
		for c0 := 0; c0 < cols; c0 += blk {
			c1 := min(c0+blk, cols)
			for r := r0; r < r1; r++ {
				row := src[r*cols : (r+1)*cols]
				for c := c0; c < c1; c++ {
					dst[c*rows+r] = row[c]
				}
			}
		}
	}
}

// addTransposed adds the transpose of src (rows × cols) into dst
// (cols × rows).
func addTransposed[F model.Float](dst, src []F, rows, cols int) {
	const blk = 32
	for r0 := 0; r0 < rows; r0 += blk {
		r1 := min(r0+blk, rows)
		for c0 := 0; c0 < cols; c0 += blk {
			c1 := min(c0+blk, cols)
			for r := r0; r < r1; r++ {
				row := src[r*cols : (r+1)*cols]
				for c := c0; c < c1; c++ {
					dst[c*rows+r] += row[c]
				}
			}
		}
	}
}

// addTo adds src into dst.
func addTo[F model.Float](dst, src []F) {
	if d32, ok := any(dst).([]float32); ok {
		kernels.Axpy(1, any(src).([]float32), d32)
		return
	}
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// linearForward is y = x·wᵀ + b for n rows: x (n × in), w (out × in), b
// (out) or nil, y (n × out), overwritten.
func linearForward[F model.Float](y, x, w, b []F, n, in, out int) {
	matmulT(y[:n*out], w[:out*in], x[:n*in], out, in)
	if b != nil {
		for t := 0; t < n; t++ {
			yt := y[t*out : (t+1)*out]
			for o := range yt {
				yt[o] += b[o]
			}
		}
	}
}

// mm computes C (+)= A·B (m × n, inner size k) with A(i,p) = a[i·ars+p·acs],
// B[p,j] = b[p·ldb+j], C[i,j] = c[i·ldc+j]: gemm for float32, float64 loops
// otherwise.
func mm[F model.Float](ws *scratch[F], m, n, k int, a []F, ars, acs int, b []F, ldb int, c []F, ldc int, add bool) {
	if a32, ok := any(a).([]float32); ok {
		defer ws.release(ws.mark())
		buf := any(ws.takeDirty(kernels.GemmBufLen(n))).([]float32)
		kernels.Gemm(m, n, k, a32, ars, acs, any(b).([]float32), ldb, any(c).([]float32), ldc, add, buf)
		return
	}
	for i := 0; i < m; i++ {
		cr := c[i*ldc : i*ldc+n]
		for j := range cr {
			var s float64
			for p := 0; p < k; p++ {
				s += float64(a[i*ars+p*acs]) * float64(b[p*ldb+j])
			}
			if add {
				cr[j] += F(s)
			} else {
				cr[j] = F(s)
			}
		}
	}
}

// linearBackward adds the gradients of y = x·wᵀ + b: dx += dy·w,
// dw += dyᵀ·x, db += Σ_t dy[t]. Any of dx, dw, db may be nil.
func linearBackward[F model.Float](ws *scratch[F], dx, dw, db, dy, x, w []F, n, in, out int) {
	if dx != nil {
		mm(ws, n, in, out, dy, out, 1, w, in, dx, in, true)
	}
	if dw != nil {
		if out <= in {
			mm(ws, out, in, n, dy, 1, out, x, in, dw, in, true)
		} else {
			// dwᵀ = xᵀ·dy packs the smaller operand (fewer rows to pack
			// per column panel), then is added back transposed.
			defer ws.release(ws.mark())
			tmp := ws.takeDirty(in * out)
			mm(ws, in, out, n, x, 1, in, dy, out, tmp, out, false)
			addTransposed(dw, tmp, in, out)
		}
	}
	if db != nil {
		for t := 0; t < n; t++ {
			addTo(db[:out], dy[t*out:(t+1)*out])
		}
	}
}

// embeddingForward copies row tokens[t] of table (V × d) into x[t].
func embeddingForward[F model.Float](x, table []F, tokens []int, d int) {
	for t, tok := range tokens {
		copy(x[t*d:(t+1)*d], table[tok*d:(tok+1)*d])
	}
}

// embeddingBackward adds dx[t] into row tokens[t] of dtable.
func embeddingBackward[F model.Float](dtable, dx []F, tokens []int, d int) {
	for t, tok := range tokens {
		addTo(dtable[tok*d:(tok+1)*d], dx[t*d:(t+1)*d])
	}
}

// crossEntropy returns Σ_t −log softmax(logits[t])[targets[t]] over the rows
// with targets[t] ≥ 0 and, when dlogits is non-nil, writes scale·(softmax −
// onehot) into it (zero rows where targets[t] < 0). dlogits may alias
// logits. The sum is accumulated in float64.
func crossEntropy[F model.Float](logits, dlogits []F, targets []int, v int, scale float64) float64 {
	var loss float64
	for t, tgt := range targets {
		row := logits[t*v : (t+1)*v]
		var drow []F
		if dlogits != nil {
			drow = dlogits[t*v : (t+1)*v]
		}
		if tgt < 0 {
			clear(drow)
			continue
		}
		mx := float64(row[0])
		for _, z := range row {
			mx = max(mx, float64(z))
		}
		var sum float64
		for _, z := range row {
			sum += math.Exp(float64(z) - mx)
		}
		lse := mx + math.Log(sum)
		loss += lse - float64(row[tgt])
		if drow != nil {
			for j, z := range row {
				drow[j] = F(math.Exp(float64(z)-lse) * scale)
			}
			drow[tgt] -= F(scale)
		}
	}
	return loss
}

// normStats holds a layer norm's per-row mean and 1/σ for the backward.
type normStats[F model.Float] struct{ mean, rstd []F }

// layerNormForward normalises each row of x (n × d; mean-centred, biased
// variance, eps) and scales by 1+w (the original LM's offset weights; w nil
// means 1). mean/rstd (n each) are kept for the backward.
func layerNormForward[F model.Float](y, x, w, mean, rstd []F, n, d int, eps float64) {
	for t := 0; t < n; t++ {
		xr, yr := x[t*d:(t+1)*d], y[t*d:(t+1)*d]
		var sum float64
		for _, v := range xr {
			sum += float64(v)
		}
		mu := sum / float64(d)
		var vs float64
		for _, v := range xr {
			e := float64(v) - mu
			vs += e * e
		}
		inv := 1 / math.Sqrt(vs/float64(d)+eps)
		mean[t], rstd[t] = F(mu), F(inv)
		for i, v := range xr {
			s := F(1)
			if w != nil {
				s = 1 + w[i]
			}
			yr[i] = F((float64(v)-mu)*inv) * s
		}
	}
}

// layerNormBackward adds the gradients of layerNormForward: dx and dw (may
// be nil). x is the forward input, mean/rstd its statistics.
func layerNormBackward[F model.Float](dx, dw, dy, x, w, mean, rstd []F, n, d int) {
	for t := 0; t < n; t++ {
		xr, dyr := x[t*d:(t+1)*d], dy[t*d:(t+1)*d]
		mu, inv := float64(mean[t]), float64(rstd[t])
		var sg, sgx float64
		for i, v := range xr {
			xh := (float64(v) - mu) * inv
			g := float64(dyr[i])
			if w != nil {
				if dw != nil {
					dw[i] += F(g * xh)
				}
				g *= 1 + float64(w[i])
			}
			sg += g
			sgx += g * xh
		}
		if dx == nil {
			continue
		}
		sg /= float64(d)
		sgx /= float64(d)
		dxr := dx[t*d : (t+1)*d]
		for i, v := range xr {
			xh := (float64(v) - mu) * inv
			g := float64(dyr[i])
			if w != nil {
				g *= 1 + float64(w[i])
			}
			dxr[i] += F(inv * (g - sg - xh*sgx))
		}
	}
}

// groupNormForward is MultiHeadLayerNorm: rows of x (n × heads·dh) are
// normalised per head and scaled by 1+w over the flat index. mean/rstd are
// (n·heads).
func groupNormForward[F model.Float](y, x, w, mean, rstd []F, n, heads, dh int, eps float64) {
	d := heads * dh
	for t := 0; t < n; t++ {
		for h := 0; h < heads; h++ {
			var hw []F
			if w != nil {
				hw = w[h*dh : (h+1)*dh]
			}
			o := t*d + h*dh
			layerNormForward(y[o:o+dh], x[o:o+dh], hw, mean[t*heads+h:], rstd[t*heads+h:], 1, dh, eps)
		}
	}
}

// groupNormBackward adds the gradients of groupNormForward.
func groupNormBackward[F model.Float](dx, dw, dy, x, w, mean, rstd []F, n, heads, dh int) {
	d := heads * dh
	for t := 0; t < n; t++ {
		for h := 0; h < heads; h++ {
			var hw, hdw []F
			if w != nil {
				hw = w[h*dh : (h+1)*dh]
			}
			if dw != nil {
				hdw = dw[h*dh : (h+1)*dh]
			}
			o := t*d + h*dh
			var hdx []F
			if dx != nil {
				hdx = dx[o : o+dh]
			}
			layerNormBackward(hdx, hdw, dy[o:o+dh], x[o:o+dh], hw, mean[t*heads+h:], rstd[t*heads+h:], 1, dh)
		}
	}
}

// Element-wise functions compute in float64 and round once, as
// runtime/model does, so both precisions share one definition.

func sigmoid[F model.Float](x F) F { return F(1 / (1 + expAny[F](-float64(x)))) }

func silu[F model.Float](x F) F { return x * sigmoid(x) }

// siluGrad is d silu / dx = σ(x)·(1 + x·(1−σ(x))).
func siluGrad[F model.Float](x F) F {
	v := float64(x)
	s := 1 / (1 + expAny[F](-v))
	return F(s * (1 + v*(1-s)))
}

// expAny is math.Exp for float64 models and the faster fastExp (relative
// error < 1e-8, far below float32's rounding) for float32 ones; the size
// test is a constant per instantiation.
func expAny[F model.Float](v float64) float64 {
	var z F
	if unsafe.Sizeof(z) == 4 {
		return fastExp(v)
	}
	return math.Exp(v)
}

// sigmoidTo sets y[i] = σ(x[i]): runtime/kernels' vectorised Sigmoid (≤ 1e-6
// relative) for float32, the scalar form for float64.
func sigmoidTo[F model.Float](y, x []F) {
	if y32, ok := any(y).([]float32); ok {
		kernels.Sigmoid(y32, any(x).([]float32))
		return
	}
	for i, v := range x[:len(y)] {
		y[i] = sigmoid(v)
	}
}

// fastExp is e^v by range reduction v = n·ln2 + r, |r| ≤ ln2/2, and a
// degree-7 Taylor polynomial (truncation < 6e-9 relative). It returns 0
// below −708 (no subnormals) and +Inf above 709.
func fastExp(v float64) float64 {
	const (
		log2e = 1.4426950408889634
		ln2hi = 6.93147180369123816490e-01
		ln2lo = 1.90821492927058770002e-10
	)
	switch {
	case v > 709:
		return math.Inf(1)
	case v < -708:
		return 0
	case v != v:
		return v
	}
	n := math.Floor(v*log2e + 0.5)
	r := v - n*ln2hi - n*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return p * math.Float64frombits(uint64(int64(n)+1023)<<52)
}

func logsigmoid[F model.Float](x F) F {
	v := float64(x)
	if v >= 0 {
		return F(-math.Log1p(expAny[F](-v)))
	}
	return F(v - math.Log1p(expAny[F](v)))
}

// tanhF is tanh, through fastExp for float32 models.
func tanhF[F model.Float](x F) F {
	var z F
	if unsafe.Sizeof(z) == 4 {
		v := float64(x)
		if math.Abs(v) > 20 {
			return F(math.Copysign(1, v))
		}
		return F(1 - 2/(fastExp(2*v)+1))
	}
	return F(math.Tanh(float64(x)))
}

func expF[F model.Float](x F) F { return F(expAny[F](float64(x))) }

// activation returns an FFN activation and its derivative (SPEC §5.4).
func activation[F model.Float](name string) (f, df func(F) F) {
	switch name {
	case "gelu": // exact erf form
		return func(x F) F {
				v := float64(x)
				return F(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
			}, func(x F) F {
				v := float64(x)
				return F(0.5*(1+math.Erf(v/math.Sqrt2)) + v*math.Exp(-0.5*v*v)/math.Sqrt(2*math.Pi))
			}
	case "relu":
		return func(x F) F { return max(x, 0) }, func(x F) F {
			if x > 0 {
				return 1
			}
			return 0
		}
	case "relu^2":
		return func(x F) F { r := max(x, 0); return r * r }, func(x F) F { return 2 * max(x, 0) }
	case "sigmoid":
		return sigmoid[F], func(x F) F { s := sigmoid(x); return s * (1 - s) }
	case "swish":
		return silu[F], siluGrad[F]
	case "selu":
		const alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
		return func(x F) F {
				v := float64(x)
				if v > 0 {
					return F(scale * v)
				}
				return F(scale * alpha * math.Expm1(v))
			}, func(x F) F {
				v := float64(x)
				if v > 0 {
					return F(scale)
				}
				return F(scale * alpha * math.Exp(v))
			}
	}
	return nil, nil
}
