package sample

import "math"

// exp returns e**x. It is the algorithm of Go's pure-Go math.exp (from
// FreeBSD's e_exp.c), copied so that sampling does not depend on the
// platform: math.Exp uses assembly on amd64 and arm64 whose last bit may
// differ from the pure-Go code js/wasm runs, and the Go spec lets a compiler
// fuse x*y+z into one FMA. Every product below is wrapped in an explicit
// float64 conversion, which forbids that fusion, so each step rounds the
// same way on every platform. Accuracy is below 1 ulp, like math.Exp.
func exp(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		log2e = 1.44269504088896338700e+00

		overflow  = 7.09782712893383973096e+02
		underflow = -7.45133219101941108420e+02
		nearZero  = 1.0 / (1 << 28) // 2**-28
	)
	switch {
	case x != x: // NaN
		return x
	case x > overflow: // includes +Inf
		return math.Inf(1)
	case x < underflow: // includes -Inf
		return 0
	case -nearZero < x && x < nearZero:
		return 1 + x
	}

	// Reduce: x = k·ln2 + r, |r| ≤ ln2/2, with r = hi - lo for precision.
	var k int
	switch {
	case x < 0:
		k = int(float64(log2e*x) - 0.5)
	case x > 0:
		k = int(float64(log2e*x) + 0.5)
	}
	hi := x - float64(float64(k)*ln2Hi)
	lo := float64(float64(k) * ln2Lo)

	const (
		p1 = 1.66666666666666657415e-01  /* 0x3FC55555; 0x55555555 */
		p2 = -2.77777777770155933842e-03 /* 0xBF66C16C; 0x16BEBD93 */
		p3 = 6.61375632143793436117e-05  /* 0x3F11566A; 0xAF25DE2C */
		p4 = -1.65339022054652515390e-06 /* 0xBEBBBD41; 0xC5D26BF1 */
		p5 = 4.13813679705723846039e-08  /* 0x3E663769; 0x72BEA4D0 */
	)
	r := hi - lo
	t := float64(r * r)
	q := p4 + float64(t*p5)
	q = p3 + float64(t*q)
	q = p2 + float64(t*q)
	q = p1 + float64(t*q)
	c := r - float64(t*q)
	y := 1 - ((lo - float64(r*c)/(2-c)) - hi)
	// y·2**k. With y in [0.7, 1.5) the product is a normal number for these
	// k, so multiplying by an exact power of two is exact (and the same as
	// math.Ldexp, only faster); near the subnormal range Ldexp rounds.
	if k >= -1020 && k <= 1020 {
		return y * math.Float64frombits(uint64(k+1023)<<52)
	}
	return math.Ldexp(y, k)
}
