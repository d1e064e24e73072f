package kernels

// LogSigmoid and GELU: the float32 gate and FFN nonlinearities that need a
// logarithm or an error function, vectorised like Exp and Sigmoid
// (elementwise.go), with the same contract: y and x may be the same slice;
// x must be at least as long as y.

// LogSigmoid sets y[i] = log σ(x[i]) = min(x,0) − log1p(e^−|x|), the
// log forget gate of the sLSTM and mLSTM cells. It is a float32
// approximation (Cephes expf, then Cephes logf's polynomial on an exactly
// reduced argument): within 2e-7 relative of the exact value (1.3e-7 worst
// measured), plus 2^-126 absolute where the exact value is below that (x
// above about 87.3, where e^−x underflows and it returns 0). −∞ gives −∞,
// +∞ gives 0, NaN gives NaN.
func LogSigmoid(y, x []float32) {
	x = x[:len(y)]
	n := vecPrefix(len(y))
	if n > 0 {
		logSigmoidVec(y[:n], x[:n])
	}
	for i := n; i < len(y); i++ {
		y[i] = logSigmoidf(x[i])
	}
}

// GELU sets y[i] = x·Φ(x) = ½·x·(1 + erf(x/√2)), the exact (erf) form of
// torch.nn.functional.gelu, computed as max(x,0) − e^{−x²/2}·K(|x|) with
// K(u) = u·Φ(−u)·e^{u²/2} a fitted polynomial in 1/(1+u/4) and x² split
// exactly into high and low parts, so that the negative tail keeps its
// relative accuracy where 1+erf would cancel. Within 1e-6 relative of the
// exact value (5.4e-7 worst measured), plus 2^-126 absolute where the
// exact value is below that (x below about −13, subnormal results, 0 from
// about −13.2). +∞ gives +∞, −∞ gives 0, NaN gives NaN.
func GELU(y, x []float32) {
	x = x[:len(y)]
	n := vecPrefix(len(y))
	if n > 0 {
		geluVec(y[:n], x[:n])
	}
	for i := n; i < len(y); i++ {
		y[i] = geluf(x[i])
	}
}

// logf's reduction: log1p(t) for t in [√2−1, 1] is ln2 + log1p((t−1)/2),
// ln2 in two parts as Cephes splits it; below, the polynomial takes t
// itself. Both keep the argument in Cephes' range [√½−1, √2−1].
const (
	log1pSplit float32 = 0.41421356
	logC1      float32 = 0.693359375
	logC2      float32 = -2.12194440e-4
	logTiny    float32 = 0x1p-24
)

// Cephes logf: log1p(v) = v − v²/2 + v³·P(v).
const (
	logP0, logP1, logP2 float32 = 7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1
	logP3, logP4, logP5 float32 = -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1
	logP6, logP7, logP8 float32 = 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1
)

// GELU's tail K(u) = u·t·Q(t), t = 1/(1 + u/4): Q of degree 8 fitted (by
// reweighted least squares, minimising relative error) to
// Φ(−u)·e^{u²/2}/t over u ∈ [0, 13.5], 6.5e-8 relative with these float32
// coefficients. Beyond geluClamp the e^{−u²/2} factor is 0.
const (
	geluP     float32 = 0.25
	geluClamp float32 = 14
)

const (
	geluQ0, geluQ1, geluQ2 float32 = 9.9802657962e-02, 9.8432771862e-02, 1.0432198644e-01
	geluQ3, geluQ4, geluQ5 float32 = 3.0758269131e-02, 2.0669835806e-01, -2.1275053918e-01
	geluQ6, geluQ7, geluQ8 float32 = 3.0207827687e-01, -1.5563747287e-01, 2.6295671239e-02
)
