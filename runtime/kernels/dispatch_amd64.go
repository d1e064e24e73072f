//go:build amd64 && !purego

package kernels

import (
	"golang.org/x/sys/cpu"

	"github.com/xlstm-go/xlstm/weights/quant"
)

// accelerated is decided once, at start-up, from the CPU's features.
var accelerated = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// avx512 selects the 16-lane versions of the 4-row products (decided at
// start-up; tests switch it off to cover the AVX2 ones too).
var avx512 = accelerated && cpu.X86.HasAVX512F

//go:noescape
func matMul3x4AVX512(y *float32, ys int, w *float32, x *float32, xs int, n int)

//go:noescape
func matVec4AVX512(y, w *float32, ws int, x *float32, n int)

// matVecRowsAVX512 and matVecRowsAVX2 run the 4-row kernels over rows
// (a multiple of 4) consecutive rows of stride n in one call.
//
//go:noescape
func matVecRowsAVX512(y, w *float32, rows int, x *float32, n int)

//go:noescape
func matVecRowsAVX2(y, w *float32, rows int, x *float32, n int)

//go:noescape
func q8MatVec4AVX512(y *float32, codes *byte, cs int, scales *float32, ss int, x *float32, n, group int)

//go:noescape
func q4MatVec4AVX512(y *float32, codes *byte, cs int, scales *float32, ss int, x *float32, n, group int)

// q4Run is the run length of the planar q4 layout the kernels want for a
// group size (see QMat.planar): 32 for the AVX-512 kernels, 16 for the
// AVX2 ones, 0 (the bundle's order) for the twin.
func q4Run(group int) int {
	switch {
	case avx512 && group%32 == 0:
		return 32
	case group%16 == 0:
		return 16
	}
	return 0
}

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func axpbyAVX2(a float32, y *float32, b float32, x *float32, n int)

// matVec4AVX2 computes four rows at stride ws elements; ws = 0 repeats one
// row, so a lone row takes the same path (and rounding) as the others.
//
//go:noescape
func matVec4AVX2(y, w *float32, ws int, x *float32, n int)

// q8MatVec4AVX2 and q4MatVec4AVX2 are matVec4AVX2 on quantised rows (codes
// cs bytes apart, scales ss floats apart; 0 repeats a row); n and group
// must be multiples of 16.
//
//go:noescape
func q8MatVec4AVX2(y *float32, codes *byte, cs int, scales *float32, ss int, x *float32, n, group int)

//go:noescape
func q4MatVec4AVX2(y *float32, codes *byte, cs int, scales *float32, ss int, x *float32, n, group int)

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
	var tmp [4]float32
	quads := len(y) &^ 3
	if avx512 {
		if quads > 0 {
			matVecRowsAVX512(&y[0], &w[0], quads, &x[0], n)
		}
		for o = quads; o < len(y); o++ {
			matVec4AVX512(&tmp[0], &w[o*n], 0, &x[0], n)
			y[o] = tmp[0]
		}
		return
	}
	if quads > 0 {
		matVecRowsAVX2(&y[0], &w[0], quads, &x[0], n)
	}
	for o = quads; o < len(y); o++ {
		matVec4AVX2(&tmp[0], &w[o*n], 0, &x[0], n)
		y[o] = tmp[0]
	}
}

// matVecQ runs the quantised 4-row kernels when the groups line up with
// their steps (and q4 codes are in their planar layout), else the twin.
// The AVX-512 ones pair with the float32 kernel in use on AVX-512 CPUs
// (groups of 32k), the AVX2 ones elsewhere (groups of 16k); a pairing
// rounds exactly as MatVec on the dequantised matrix.
func matVecQ(y []float32, w *QMat, x []float32) {
	q4 := w.Kind == quant.Q4
	g := w.Group
	var wide bool
	switch {
	case avx512 && g%32 == 0 && (!q4 || w.planar == 32):
		wide = true
	case accelerated && g%16 == 0 && (!q4 || w.planar == 16):
	default:
		matVecQGeneric(y, w, x)
		return
	}
	n, cs, ss := w.Cols, w.rowBytes(), w.Cols/g
	o := 0
	for ; o+4 <= len(y); o += 4 {
		qKernel(wide, q4, &y[o], &w.Codes[o*cs], cs, &w.Scales[o*ss], ss, &x[0], n, g)
	}
	var tmp [4]float32
	for ; o < len(y); o++ { // a lone row: stride 0 repeats it
		qKernel(wide, q4, &tmp[0], &w.Codes[o*cs], 0, &w.Scales[o*ss], 0, &x[0], n, g)
		y[o] = tmp[0]
	}
}

// qKernel calls the 4-row kernel for the width and format.
func qKernel(wide, q4 bool, y *float32, codes *byte, cs int, scales *float32, ss int, x *float32, n, g int) {
	switch {
	case wide && q4:
		q4MatVec4AVX512(y, codes, cs, scales, ss, x, n, g)
	case wide:
		q8MatVec4AVX512(y, codes, cs, scales, ss, x, n, g)
	case q4:
		q4MatVec4AVX2(y, codes, cs, scales, ss, x, n, g)
	default:
		q8MatVec4AVX2(y, codes, cs, scales, ss, x, n, g)
	}
}

// matMul walks w in blocks of rows that stay in cache while every token
// passes over them.
func matMul(y, w, x []float32, rows, n int) {
	for r0 := 0; r0 < rows; r0 += tileRows {
		r1 := min(r0+tileRows, rows)
		matMulTile(y, rows, w[r0*n:r1*n], x, r0, r1, n)
	}
}

// matMulTile computes the rows [r0, r1) of every token (y has stride rows)
// from w, which holds just those rows; each kernel call does three tokens ×
// four rows.
func matMulTile(y []float32, rows int, w, x []float32, r0, r1, n int) {
	if !accelerated {
		matMulTileGeneric(y, rows, w, x, r0, r1, n)
		return
	}
	s := len(x) / n
	t := 0
	for ; t+3 <= s; t += 3 {
		r := r0
		for ; r+4 <= r1; r += 4 {
			if avx512 {
				matMul3x4AVX512(&y[t*rows+r], rows, &w[(r-r0)*n], &x[t*n], n, n)
			} else {
				matMul3x4AVX2(&y[t*rows+r], rows, &w[(r-r0)*n], &x[t*n], n, n)
			}
		}
		for ; r < r1; r++ {
			for tt := t; tt < t+3; tt++ {
				y[tt*rows+r] = dotAVX2(&w[(r-r0)*n], &x[tt*n], n)
			}
		}
	}
	for ; t < s; t++ {
		matVec(y[t*rows+r0:t*rows+r1], w, x[t*n:(t+1)*n])
	}
}

//go:noescape
func expAVX2(y, x *float32, n int)

//go:noescape
func sigmoidAVX2(y, x *float32, n int)

//go:noescape
func siluAVX2(y, x *float32, n int)

//go:noescape
func softcapAVX2(y, x *float32, n int, c float32)

// vecPrefix is how many leading elements the assembly takes (whole
// vectors of eight); the rest go through the scalar twin.
func vecPrefix(n int) int {
	if !accelerated {
		return 0
	}
	return n &^ 7
}

func expVec(y, x []float32)                { expAVX2(&y[0], &x[0], len(y)) }
func sigmoidVec(y, x []float32)            { sigmoidAVX2(&y[0], &x[0], len(y)) }
func siluVec(y, x []float32)               { siluAVX2(&y[0], &x[0], len(y)) }
func softcapVec(y, x []float32, c float32) { softcapAVX2(&y[0], &x[0], len(y), c) }

//go:noescape
func rankOneReadAVX2(c *float32, fa float32, b, v, qv, h *float32, dk, dv int)

func rankOneRead(c []float32, fa float32, b, v, qv, h []float32) {
	if !accelerated {
		rankOneReadGeneric(c, fa, b, v, qv, h)
		return
	}
	rankOneReadAVX2(&c[0], fa, &b[0], &v[0], &qv[0], &h[0], len(b), len(v))
}
