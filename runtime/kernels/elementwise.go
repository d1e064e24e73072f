package kernels

// Element-wise nonlinearities of the float32 forward (gates, FFN
// activations, soft-caps), vectorised on amd64. They are float32
// approximations (Cephes' expf and tanhf polynomials), within a few units
// in the last place of the exact values: the tests hold them to 1e-6
// relative against math.Exp / math.Tanh in float64. y and x may be the same
// slice; x must be at least as long as y.

// Exp sets y[i] = e^x[i]. Arguments beyond ±88 saturate: above, the
// result is e^88.38 ≈ 2.4e38; below -87.34, 0.
func Exp(y, x []float32) {
	x = x[:len(y)]
	n := vecPrefix(len(y))
	if n > 0 {
		expVec(y[:n], x[:n])
	}
	for i := n; i < len(y); i++ {
		y[i] = expf(x[i])
	}
}

// Sigmoid sets y[i] = 1 / (1 + e^-x[i]).
func Sigmoid(y, x []float32) {
	x = x[:len(y)]
	n := vecPrefix(len(y))
	if n > 0 {
		sigmoidVec(y[:n], x[:n])
	}
	for i := n; i < len(y); i++ {
		y[i] = sigmoidf(x[i])
	}
}

// SiLU sets y[i] = x[i] · sigmoid(x[i]) (swish).
func SiLU(y, x []float32) {
	x = x[:len(y)]
	n := vecPrefix(len(y))
	if n > 0 {
		siluVec(y[:n], x[:n])
	}
	for i := n; i < len(y); i++ {
		y[i] = x[i] * sigmoidf(x[i])
	}
}

// Softcap sets y[i] = c · tanh(x[i] / c), the soft-cap of xLSTM Large's
// gates and logits; c ≤ 0 copies x.
func Softcap(y, x []float32, c float32) {
	x = x[:len(y)]
	if c <= 0 {
		copy(y, x)
		return
	}
	n := vecPrefix(len(y))
	if n > 0 {
		softcapVec(y[:n], x[:n], c)
	}
	for i := n; i < len(y); i++ {
		y[i] = c * tanhf(x[i]/c)
	}
}

// Float32 Cephes constants: exp's range reduction by ln 2 in two parts
// and its polynomial; tanh's odd polynomial on |x| < 0.625.
const (
	expHi    = 88.3762626647949
	expLo    = -87.3365478515625
	log2e    = 1.44269504088896341
	expC1    = 0.693359375
	expC2    = -2.12194440e-4
	tanhEdge = 0.625
)

const (
	expP0, expP1, expP2 float32 = 1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3
	expP3, expP4, expP5 float32 = 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1
	tanhP0, tanhP1      float32 = -5.70498872745e-3, 2.06390887954e-2
	tanhP2, tanhP3      float32 = -5.37397155531e-2, 1.33314422036e-1
	tanhP4              float32 = -3.33332819422e-1
)
