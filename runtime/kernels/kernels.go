// Package kernels holds the CPU inner loops of the float32 forward: each has
// a pure-Go twin (the *_generic.go files, the readable definition) and, on
// amd64 with AVX2 and FMA, an assembly version chosen once at start-up (the
// 4-row matrix-vector products in 16-lane AVX-512 where the CPU has
// AVX512F). Build with -tags purego to force the twins. Tests check every
// fast kernel against its twin. Besides the float32 products it multiplies
// q8/q4 matrices kept quantised (QMat) and evaluates the model's
// nonlinearities in vectors (Exp, Sigmoid, SiLU, Softcap, LogSigmoid, GELU).
package kernels

// Dot returns Σ a[i]·b[i]. b must be at least as long as a.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	if len(a) == 0 {
		return 0
	}
	return dot(a, b)
}

// Axpy adds alpha·x to y: y[i] += alpha·x[i]. x must be at least as long as y.
func Axpy(alpha float32, x, y []float32) {
	x = x[:len(y)]
	if len(y) == 0 {
		return
	}
	axpy(alpha, x, y)
}

// Axpby scales y and adds a scaled x: y[i] = a·y[i] + b·x[i]. x must be at
// least as long as y. It is the mLSTM memory update of one row.
func Axpby(a float32, y []float32, b float32, x []float32) {
	x = x[:len(y)]
	if len(y) == 0 {
		return
	}
	axpby(a, y, b, x)
}

// MatVec computes y[o] = Σ_i w[o·n+i]·x[i] for a row-major (len(y) × n)
// matrix w, n = len(x): a linear layer without bias.
func MatVec(y, w, x []float32) {
	n := len(x)
	w = w[:len(y)*n]
	if n == 0 {
		clear(y)
		return
	}
	matVec(y, w, x)
}

// MatMul computes y[t] = W x[t] for every token t: x is (s × n) with
// n = len(x)/s, y is (s × rows), w is (rows × n) row-major. It is MatVec for
// many vectors at once, blocked so that each weight is loaded once for
// several tokens (prefill and full-sequence forms are compute-bound).
func MatMul(y, w, x []float32, rows, n int) {
	if n <= 0 || rows <= 0 || len(x)%n != 0 {
		clear(y)
		return
	}
	s := len(x) / n
	y = y[:s*rows]
	w = w[:rows*n]
	matMul(y, w, x, rows, n)
}

// Accelerated reports whether the assembly kernels are in use.
func Accelerated() bool { return accelerated }

// RankOneRead is the mLSTM memory step of one head, row by row: for each
// row a of the (len(b) × len(v)) matrix c,
//
//	c[a,:] = fa·c[a,:] + b[a]·v   (Axpby)
//	h     += qv[a]·c[a,:]         (Axpy, on the updated row)
//
// in one pass over c, rounding exactly as those two kernels would. h is
// accumulated into (clear it first for h = qvᵀ c).
func RankOneRead(c []float32, fa float32, b, v, qv, h []float32) {
	dk, dv := len(b), len(v)
	c = c[:dk*dv]
	qv = qv[:dk]
	h = h[:dv]
	if dk == 0 || dv == 0 {
		return
	}
	rankOneRead(c, fa, b, v, qv, h)
}
