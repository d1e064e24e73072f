//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// accelerated is decided once, at start-up, from the CPU's features.
var accelerated = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func axpbyAVX2(a float32, y *float32, b float32, x *float32, n int)

//go:noescape
func matVec4AVX2(y, w, x *float32, n int)

//go:noescape
func matMul3x4AVX2(y *float32, ys int, w *float32, x *float32, xs int, n int)

func dot(a, b []float32) float32 {
	if accelerated {
		return dotAVX2(&a[0], &b[0], len(a))
	}
	return dotGeneric(a, b)
}

func axpy(alpha float32, x, y []float32) {
	if accelerated {
		axpyAVX2(alpha, &x[0], &y[0], len(y))
		return
	}
	axpyGeneric(alpha, x, y)
}

func axpby(a float32, y []float32, b float32, x []float32) {
	if accelerated {
		axpbyAVX2(a, &y[0], b, &x[0], len(y))
		return
	}
	axpbyGeneric(a, y, b, x)
}

// matVec does four rows per call of the assembly kernel, so each load of x
// serves four rows of w.
func matVec(y, w, x []float32) {
	if !accelerated {
		matVecGeneric(y, w, x)
		return
	}
	n := len(x)
	o := 0
	for ; o+4 <= len(y); o += 4 {
		matVec4AVX2(&y[o], &w[o*n], &x[0], n)
	}
	for ; o < len(y); o++ {
		y[o] = dotAVX2(&w[o*n], &x[0], n)
	}
}

// matMul walks w in blocks of rows that stay in cache while every token
// triple passes over them; each kernel call does three tokens × four rows.
func matMul(y, w, x []float32, rows, n int) {
	if !accelerated {
		matMulGeneric(y, w, x, rows, n)
		return
	}
	s := len(x) / n
	const block = 64 // rows per cache block
	for r0 := 0; r0 < rows; r0 += block {
		r1 := min(r0+block, rows)
		t := 0
		for ; t+3 <= s; t += 3 {
			r := r0
			for ; r+4 <= r1; r += 4 {
				matMul3x4AVX2(&y[t*rows+r], rows, &w[r*n], &x[t*n], n, n)
			}
			for ; r < r1; r++ {
				for tt := t; tt < t+3; tt++ {
					y[tt*rows+r] = dotAVX2(&w[r*n], &x[tt*n], n)
				}
			}
		}
		for ; t < s; t++ {
			matVec(y[t*rows+r0:t*rows+r1], w[r0*n:r1*n], x[t*n:(t+1)*n])
		}
	}
}
