package model

import (
	"math"

	"github.com/xlstm-go/xlstm/runtime/kernels"
)

// Float is the element type of the reference: float32 runs, float64 is what
// the parity tests hold to 1e-9 against the official float64 runs.
type Float interface{ ~float32 | ~float64 }

// The element-wise functions below compute in float64 and round once, so the
// float32 and float64 builds share one definition of every nonlinearity.

func sigmoid[F Float](x F) F { return F(1 / (1 + math.Exp(-float64(x)))) }

func silu[F Float](x F) F { return x * sigmoid(x) }

// logsigmoid is -log(1+exp(-x)) in a form that neither overflows nor loses
// precision for large |x|.
func logsigmoid[F Float](x F) F {
	v := float64(x)
	if v >= 0 {
		return F(-math.Log1p(math.Exp(-v)))
	}
	return F(v - math.Log1p(math.Exp(v)))
}

func softcap[F Float](x F, c float64) F {
	if c <= 0 {
		return x
	}
	return F(c * math.Tanh(float64(x)/c))
}

func exp[F Float](x F) F { return F(math.Exp(float64(x))) }

// gelu is the exact erf form used by torch.nn.functional.gelu.
func gelu[F Float](x F) F {
	v := float64(x)
	return F(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
}

// activation returns the FFN activation named in the config (SPEC §5.4).
func activation[F Float](name string) func(F) F {
	switch name {
	case "gelu":
		return gelu[F]
	case "relu":
		return func(x F) F { return max(x, 0) }
	case "relu^2":
		return func(x F) F { r := max(x, 0); return r * r }
	case "sigmoid":
		return sigmoid[F]
	case "swish":
		return silu[F]
	case "selu":
		return func(x F) F {
			const alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
			v := float64(x)
			if v > 0 {
				return F(scale * v)
			}
			return F(scale * alpha * math.Expm1(v))
		}
	}
	return nil
}

// dot returns Σ a[i]*b[i] over len(a) elements. float32 goes through
// runtime/kernels (SIMD where the CPU has it, else its pure-Go twin); other
// element types accumulate in float64.
func dot[F Float](a, b []F) F {
	if a32, ok := any(a).([]float32); ok {
		return F(kernels.Dot(a32, any(b).([]float32)))
	}
	b = b[:len(a)]
	var s float64
	for i, x := range a {
		s += float64(x) * float64(b[i])
	}
	return F(s)
}

// linear computes y = W x (+ bias) for one vector: W is (out, in) row-major
// as in torch.nn.Linear; bias may be nil.
func linear[F Float](y, w, bias, x []F) {
	if y32, ok := any(y).([]float32); ok {
		kernels.MatVec(y32, any(w).([]float32), any(x).([]float32))
	} else {
		in := len(x)
		for o := range y {
			y[o] = dot(w[o*in:(o+1)*in], x)
		}
	}
	for o := range bias {
		y[o] += bias[o]
	}
}

// axpby sets y = a·y + b·x (the mLSTM memory update of one row).
func axpby[F Float](a F, y []F, b F, x []F) {
	if y32, ok := any(y).([]float32); ok {
		kernels.Axpby(float32(a), y32, float32(b), any(x).([]float32))
		return
	}
	x = x[:len(y)]
	for i := range y {
		y[i] = a*y[i] + b*x[i]
	}
}

// axpy adds alpha·x to y.
func axpy[F Float](alpha F, x, y []F) {
	if y32, ok := any(y).([]float32); ok {
		kernels.Axpy(float32(alpha), any(x).([]float32), y32)
		return
	}
	x = x[:len(y)]
	for i := range y {
		y[i] += alpha * x[i]
	}
}

// headwise is LinearHeadwiseExpand (SPEC §3.2): a block-diagonal projection
// with weight (nph, outPer, inPer); bias (nph*outPer) may be nil.
func headwise[F Float](y, w, bias, x []F, nph int) {
	inPer := len(x) / nph
	outPer := len(y) / nph
	if inPer == 4 && outPer == 4 {
		if y32, ok := any(y).([]float32); ok {
			headwise4All32(y32, any(w).([]float32), any(x).([]float32), nph)
		} else {
			for h := 0; h < nph; h++ {
				headwise4(y[h*4:h*4+4], w[h*16:h*16+16], x[h*4:h*4+4])
			}
		}
	} else if inPer <= 8 {
		// Other tiny blocks (4×4, the original LM's qkv_proj_blocksize, is above): a kernel
		// call per block costs more than its sums, so add them here, in
		// float64 and in dot's order.
		for h := 0; h < nph; h++ {
			xh := x[h*inPer : (h+1)*inPer]
			for o := h * outPer; o < (h+1)*outPer; o++ {
				wo := w[o*inPer : (o+1)*inPer]
				var s float64
				for i, xv := range xh {
					s += float64(wo[i]) * float64(xv)
				}
				y[o] = F(s)
			}
		}
	}
	for h := 0; h < nph && inPer > 8; h++ {
		linear(y[h*outPer:(h+1)*outPer], w[h*outPer*inPer:(h+1)*outPer*inPer], nil, x[h*inPer:(h+1)*inPer])
	}
	if bias != nil {
		for i := range y {
			y[i] += bias[i]
		}
	}
}

// layerNorm normalises x over its whole length (mean-centred, biased
// variance) and scales by w (+1 when offset: the original LM stores the scale
// as an offset, SPEC §2). w may be nil (scale 1).
func layerNorm[F Float](y, x, w []F, eps float64, offset bool) {
	if y32, ok := any(y).([]float32); ok {
		layerNorm32(y32, any(x).([]float32), any(w).([]float32), eps, offset)
		return
	}
	n := float64(len(x))
	var sum float64
	for _, v := range x {
		sum += float64(v)
	}
	mean := sum / n
	var variance float64
	for _, v := range x {
		d := float64(v) - mean
		variance += d * d
	}
	variance /= n
	inv := 1 / math.Sqrt(variance+eps)
	for i, v := range x {
		s := F(1)
		if w != nil {
			if offset {
				s = 1 + w[i]
			} else {
				s = w[i]
			}
		}
		y[i] = F((float64(v)-mean)*inv) * s
	}
}

// groupNorm is MultiHeadLayerNorm (SPEC §4.4, §8): a layer norm over each
// head's slice of x, then one scale over the flat head-major index.
func groupNorm[F Float](y, x, w []F, heads int, eps float64, offset bool) {
	dh := len(x) / heads
	for h := 0; h < heads; h++ {
		var hw []F
		if w != nil {
			hw = w[h*dh : (h+1)*dh]
		}
		layerNorm(y[h*dh:(h+1)*dh], x[h*dh:(h+1)*dh], hw, eps, offset)
	}
}

// rmsNorm is x * rsqrt(mean(x²) + eps) * w (SPEC §8; plain weights).
func rmsNorm[F Float](y, x, w []F, eps float64) {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	inv := F(1 / math.Sqrt(ss/float64(len(x))+eps))
	for i, v := range x {
		y[i] = v * inv * w[i]
	}
}

// siluAll sets x[i] = silu(x[i]); float32 goes through the vectorised
// kernel (a float32 approximation within 1e-6 relative), float64 stays
// exact.
func siluAll[F Float](x []F) {
	if x32, ok := any(x).([]float32); ok {
		kernels.SiLU(x32, x32)
		return
	}
	for i := range x {
		x[i] = silu(x[i])
	}
}

// sigmoidAll sets x[i] = sigmoid(x[i]), vectorised for float32.
func sigmoidAll[F Float](x []F) {
	if x32, ok := any(x).([]float32); ok {
		kernels.Sigmoid(x32, x32)
		return
	}
	for i := range x {
		x[i] = sigmoid(x[i])
	}
}

// softcapAll sets x[i] = softcap(x[i], c), vectorised for float32.
func softcapAll[F Float](x []F, c float64) {
	if x32, ok := any(x).([]float32); ok {
		kernels.Softcap(x32, x32, float32(c))
		return
	}
	for i := range x {
		x[i] = softcap(x[i], c)
	}
}

// headwise4 is one 4×4 block of headwise, unrolled (the same sums in the
// same order as the loop).
func headwise4[F Float](y, w, x []F) {
	y, w, x = y[:4], w[:16], x[:4]
	x0, x1, x2, x3 := float64(x[0]), float64(x[1]), float64(x[2]), float64(x[3])
	for o := range 4 {
		r := w[4*o : 4*o+4]
		s := float64(r[0]) * x0
		s += float64(r[1]) * x1
		s += float64(r[2]) * x2
		s += float64(r[3]) * x3
		y[o] = F(s)
	}
}

// headwise4All32 is headwise4 over all nph blocks of a float32 vector in
// one non-generic loop (the per-block generic call cost more than its 16
// products).
func headwise4All32(y, w, x []float32, nph int) {
	y, w, x = y[:4*nph], w[:16*nph], x[:4*nph]
	for h := 0; h < nph; h++ {
		xs, ws, ys := x[4*h:4*h+4:4*h+4], w[16*h:16*h+16:16*h+16], y[4*h:4*h+4:4*h+4]
		x0, x1, x2, x3 := float64(xs[0]), float64(xs[1]), float64(xs[2]), float64(xs[3])
		ys[0] = float32(float64(ws[0])*x0 + float64(ws[1])*x1 + float64(ws[2])*x2 + float64(ws[3])*x3)
		ys[1] = float32(float64(ws[4])*x0 + float64(ws[5])*x1 + float64(ws[6])*x2 + float64(ws[7])*x3)
		ys[2] = float32(float64(ws[8])*x0 + float64(ws[9])*x1 + float64(ws[10])*x2 + float64(ws[11])*x3)
		ys[3] = float32(float64(ws[12])*x0 + float64(ws[13])*x1 + float64(ws[14])*x2 + float64(ws[15])*x3)
	}
}

// layerNorm32 is layerNorm for float32 without the generic and per-element
// branches: the mean and variance as four float64 partial sums (the order
// of float64 additions moves the float32 result by an ulp at most, rarely),
// the scale loop chosen once.
func layerNorm32(y, x, w []float32, eps float64, offset bool) {
	n := len(x)
	y = y[:n]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= n; i += 4 {
		xs := x[i : i+4 : i+4]
		s0 += float64(xs[0])
		s1 += float64(xs[1])
		s2 += float64(xs[2])
		s3 += float64(xs[3])
	}
	for ; i < n; i++ {
		s0 += float64(x[i])
	}
	mean := ((s0 + s1) + (s2 + s3)) / float64(n)
	s0, s1, s2, s3 = 0, 0, 0, 0
	i = 0
	for ; i+4 <= n; i += 4 {
		xs := x[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(xs[0])-mean, float64(xs[1])-mean, float64(xs[2])-mean, float64(xs[3])-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < n; i++ {
		d := float64(x[i]) - mean
		s0 += d * d
	}
	inv := 1 / math.Sqrt(((s0+s1)+(s2+s3))/float64(n)+eps)
	switch {
	case w == nil:
		for i, v := range x {
			y[i] = float32((float64(v) - mean) * inv)
		}
	case offset:
		w = w[:n]
		for i, v := range x {
			y[i] = float32((float64(v)-mean)*inv) * (1 + w[i])
		}
	default:
		w = w[:n]
		for i, v := range x {
			y[i] = float32((float64(v)-mean)*inv) * w[i]
		}
	}
}
