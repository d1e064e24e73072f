package kernels

import "math"

// The scalar twins of LogSigmoid and GELU: the float32 algorithm of the
// assembly, step by step (it fuses the polynomial's multiply-adds).

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// log1pUnit is log(1+t) for t in [0, 1] (Cephes logf on the reduced
// argument, which is exact: t itself, or (t−1)/2 with e = 1).
func log1pUnit(t float32) float32 {
	v, e := t, float32(0)
	if t >= log1pSplit {
		v, e = t*0.5-0.5, 1
	}
	// Below 2^-24 the terms past v are under half an ulp of it: dropping
	// them keeps the polynomial out of subnormals (slow in hardware).
	w := v
	if abs32(v) < logTiny {
		w = 0
	}
	z := w * w
	p := ((((((((logP0*w+logP1)*w+logP2)*w+logP3)*w+logP4)*w+logP5)*w+logP6)*w+logP7)*w + logP8)
	y := p * w * z
	y += e * logC2
	y -= 0.5 * z
	l := v + y
	return l + e*logC1
}

func logSigmoidf(x float32) float32 {
	return min(x, 0) - log1pUnit(expf(-abs32(x)))
}

func geluf(x float32) float32 {
	u := min(abs32(x), geluClamp)
	t := 1 / (1 + geluP*u)
	q := (((((((geluQ8*t+geluQ7)*t+geluQ6)*t+geluQ5)*t+geluQ4)*t+geluQ3)*t+geluQ2)*t+geluQ1)*t + geluQ0
	k := u * t * q
	// u² = h + l exactly (a float32 product is exact in float64), so
	// e^{−u²/2} = e^{−h/2}·(1 − l/2) to float32 precision.
	h := u * u
	l := float32(float64(u)*float64(u) - float64(h))
	e := expf(-0.5 * h)
	e -= e * (0.5 * l)
	return max(x, 0) - e*k
}

func logSigmoidGeneric(y, x []float32) {
	for i := range y {
		y[i] = logSigmoidf(x[i])
	}
}

func geluGeneric(y, x []float32) {
	for i := range y {
		y[i] = geluf(x[i])
	}
}
