package kernels

// The pure-Go twins: the definition every accelerated kernel is checked
// against, and the path of builds without assembly (wasm, -tags purego).
// dotGeneric accumulates in float64, so the twin is at least as accurate as
// the FMA kernels; four partial sums let the CPU overlap the additions.

func dotGeneric(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i]) * float64(b[i])
		s1 += float64(a[i+1]) * float64(b[i+1])
		s2 += float64(a[i+2]) * float64(b[i+2])
		s3 += float64(a[i+3]) * float64(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i]) * float64(b[i])
	}
	return float32((s0 + s1) + (s2 + s3))
}

func axpyGeneric(alpha float32, x, y []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += alpha * x[i]
	}
}

func axpbyGeneric(a float32, y []float32, b float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] = a*y[i] + b*x[i]
	}
}

// matVecGeneric does four rows at a time, like the assembly: each x[i] is
// loaded once for four independent sums.
func matVecGeneric(y, w, x []float32) {
	n := len(x)
	o := 0
	for ; o+4 <= len(y); o += 4 {
		w0 := w[o*n:][:n]
		w1 := w[(o+1)*n:][:n]
		w2 := w[(o+2)*n:][:n]
		w3 := w[(o+3)*n:][:n]
		var s0, s1, s2, s3 float64
		for i, xv := range x {
			xf := float64(xv)
			s0 += float64(w0[i]) * xf
			s1 += float64(w1[i]) * xf
			s2 += float64(w2[i]) * xf
			s3 += float64(w3[i]) * xf
		}
		y[o], y[o+1], y[o+2], y[o+3] = float32(s0), float32(s1), float32(s2), float32(s3)
	}
	for ; o < len(y); o++ {
		y[o] = dotGeneric(w[o*n:(o+1)*n], x)
	}
}

func matMulGeneric(y, w, x []float32, rows, n int) {
	for t := 0; t < len(x)/n; t++ {
		matVecGeneric(y[t*rows:(t+1)*rows], w, x[t*n:(t+1)*n])
	}
}

// matMulTileGeneric is matMulGeneric on the rows [r0, r1) only (w holds
// those rows). r0 is a multiple of four, so the four-row grouping, and with
// it every rounding, is the same as over the whole matrix.
func matMulTileGeneric(y []float32, rows int, w, x []float32, r0, r1, n int) {
	for t := 0; t < len(x)/n; t++ {
		matVecGeneric(y[t*rows+r0:t*rows+r1], w, x[t*n:(t+1)*n])
	}
}

func rankOneReadGeneric(c []float32, fa float32, b, v, qv, h []float32) {
	dv := len(v)
	for a := range b {
		row := c[a*dv : (a+1)*dv]
		axpbyGeneric(fa, row, b[a], v)
		axpyGeneric(qv[a], row, h)
	}
}
