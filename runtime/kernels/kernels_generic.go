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
// loaded once for four independent sums. The inner loop takes four values
// per step through fixed-length reslices, which compile without bounds
// checks (the wasm build runs ~2× faster so); the sums are the same, in the
// same order, as one value per step.
func matVecGeneric(y, w, x []float32) {
	n := len(x)
	o := 0
	for ; o+4 <= len(y); o += 4 {
		w0 := w[o*n:][:n]
		w1 := w[(o+1)*n:][:n]
		w2 := w[(o+2)*n:][:n]
		w3 := w[(o+3)*n:][:n]
		var s0, s1, s2, s3 float64
		i := 0
		for ; i+4 <= n; i += 4 {
			xs := x[i : i+4 : i+4]
			r0, r1, r2, r3 := w0[i:i+4:i+4], w1[i:i+4:i+4], w2[i:i+4:i+4], w3[i:i+4:i+4]
			x0, x1, x2, x3 := float64(xs[0]), float64(xs[1]), float64(xs[2]), float64(xs[3])
			s0 += float64(r0[0]) * x0
			s1 += float64(r1[0]) * x0
			s2 += float64(r2[0]) * x0
			s3 += float64(r3[0]) * x0
			s0 += float64(r0[1]) * x1
			s1 += float64(r1[1]) * x1
			s2 += float64(r2[1]) * x1
			s3 += float64(r3[1]) * x1
			s0 += float64(r0[2]) * x2
			s1 += float64(r1[2]) * x2
			s2 += float64(r2[2]) * x2
			s3 += float64(r3[2]) * x2
			s0 += float64(r0[3]) * x3
			s1 += float64(r1[3]) * x3
			s2 += float64(r2[3]) * x3
			s3 += float64(r3[3]) * x3
		}
		for ; i < n; i++ {
			xf := float64(x[i])
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

// rankOneReadGeneric updates each row of C and adds it to h in one pass
// (per element the same two float32 steps as axpbyGeneric then axpyGeneric).
func rankOneReadGeneric(c []float32, fa float32, b, v, qv, h []float32) {
	dv := len(v)
	h = h[:dv]
	for a, ba := range b {
		row, qa := c[a*dv:(a+1)*dv], qv[a]
		j := 0
		for ; j+4 <= dv; j += 4 {
			r, vs, hs := row[j:j+4:j+4], v[j:j+4:j+4], h[j:j+4:j+4]
			c0, c1 := fa*r[0]+ba*vs[0], fa*r[1]+ba*vs[1]
			c2, c3 := fa*r[2]+ba*vs[2], fa*r[3]+ba*vs[3]
			r[0], r[1], r[2], r[3] = c0, c1, c2, c3
			hs[0] += qa * c0
			hs[1] += qa * c1
			hs[2] += qa * c2
			hs[3] += qa * c3
		}
		for ; j < dv; j++ {
			row[j] = fa*row[j] + ba*v[j]
			h[j] += qa * row[j]
		}
	}
}
