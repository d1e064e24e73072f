package kernels

import "math"

// The scalar twins of the element-wise kernels: the same float32
// algorithm, step by step, as the assembly.

// expf is Cephes' expf: e^x = 2^n · e^r with n = round(x·log2 e) and
// |r| ≤ ln2/2, e^r by a degree-7 polynomial.
func expf(x float32) float32 {
	if x < expLo {
		return 0
	}
	x = min(x, expHi)
	// Rounding half up instead of to even (as the assembly does) only
	// changes which of two equally valid reductions a tie takes.
	n := float32(math.Floor(float64(x*log2e) + 0.5))
	r := x - n*expC1
	r -= n * expC2
	p := ((((expP0*r+expP1)*r+expP2)*r+expP3)*r+expP4)*r + expP5
	p = p*(r*r) + r + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

func sigmoidf(x float32) float32 { return 1 / (1 + expf(-x)) }

// tanhf is Cephes' tanhf: an odd polynomial for |x| < 0.625, else
// 1 − 2/(e^{2|x|}+1) with x's sign.
func tanhf(x float32) float32 {
	a := float32(math.Abs(float64(x)))
	if a < tanhEdge {
		z := x * x
		p := (((tanhP0*z+tanhP1)*z+tanhP2)*z+tanhP3)*z + tanhP4
		return p*z*x + x
	}
	t := 1 - 2/(expf(2*a)+1)
	return float32(math.Copysign(float64(t), float64(x)))
}

func expGeneric(y, x []float32) {
	for i := range y {
		y[i] = expf(x[i])
	}
}

func sigmoidGeneric(y, x []float32) {
	for i := range y {
		y[i] = sigmoidf(x[i])
	}
}

func siluGeneric(y, x []float32) {
	for i := range y {
		y[i] = x[i] * sigmoidf(x[i])
	}
}

func softcapGeneric(y, x []float32, c float32) {
	for i := range y {
		y[i] = c * tanhf(x[i]/c)
	}
}
