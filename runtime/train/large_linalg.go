package train

import (
	"sync"

	"github.com/xlstm-go/xlstm/runtime/kernels"
	"github.com/xlstm-go/xlstm/runtime/model"
)

// The dense products of the xLSTM Large forward and backward, generic over
// float32 (runtime/kernels underneath) and float64 (plain loops that
// accumulate in float64, for the 1e-9 checks). Work is split over
// goroutines by output rows only, and float32 splits fall on multiples of
// three rows (the token block of kernels.MatMul), so every output element
// is computed by the same instructions whatever the thread count: results
// are bit-identical for any number of threads.

// lgAlign is the row granularity of float32 splits (kernels.MatMul's token
// triple).
const lgAlign = 3

// lgGradBlock is how many weight-gradient rows are transposed and multiplied
// at a time (a multiple of lgAlign).
const lgGradBlock = 96

// lgWorkers runs index ranges on up to n goroutines (the caller counts as one).
type lgWorkers struct{ n int }

// run calls fn(part, lo, hi) for contiguous parts covering [0, count), each
// starting at a multiple of align, the caller doing part 0, and waits.
func (w lgWorkers) run(count, align int, fn func(part, lo, hi int)) {
	if count <= 0 {
		return
	}
	parts := min(max(w.n, 1), (count+align-1)/align)
	if parts <= 1 {
		fn(0, 0, count)
		return
	}
	per := ((count+parts-1)/parts + align - 1) / align * align
	var wg sync.WaitGroup
	part := 1
	for lo := per; lo < count; lo += per {
		wg.Add(1)
		go func(part, lo, hi int) {
			defer wg.Done()
			fn(part, lo, hi)
		}(part, lo, min(lo+per, count))
		part++
	}
	fn(0, 0, min(per, count))
	wg.Wait()
}

// lgMatNT sets y (n×out) = x (n×in) · wᵀ for w (out×in): a linear layer.
func lgMatNT[F model.Float](wk lgWorkers, y, x, w []F, n, in, out int) {
	if y32, ok := any(y).([]float32); ok {
		x32, w32 := any(x).([]float32), any(w).([]float32)
		wk.run(n, lgAlign, func(_, lo, hi int) {
			kernels.MatMul(y32[lo*out:hi*out], w32, x32[lo*in:hi*in], out, in)
		})
		return
	}
	wk.run(n, 1, func(_, lo, hi int) {
		for t := lo; t < hi; t++ {
			xt := x[t*in : (t+1)*in]
			for o := 0; o < out; o++ {
				y[t*out+o] = F(lgDot64(xt, w[o*in:(o+1)*in]))
			}
		}
	})
}

// lgMatNN sets dx (n×in) = dy (n×out) · w for w (out×in): the input gradient
// of a linear layer. wT (in×out) is scratch for float32.
func lgMatNN[F model.Float](wk lgWorkers, dx, dy, w, wT []F, n, out, in int) {
	if dx32, ok := any(dx).([]float32); ok {
		wT32 := any(wT).([]float32)[:in*out]
		lgTranspose(wk, wT32, any(w).([]float32), out, in)
		dy32 := any(dy).([]float32)
		wk.run(n, lgAlign, func(_, lo, hi int) {
			kernels.MatMul(dx32[lo*in:hi*in], wT32, dy32[lo*out:hi*out], in, out)
		})
		return
	}
	wk.run(n, 1, func(_, lo, hi int) {
		acc := make([]float64, in)
		for t := lo; t < hi; t++ {
			clear(acc)
			for o := 0; o < out; o++ {
				g := float64(dy[t*out+o])
				if g == 0 {
					continue
				}
				wo := w[o*in : (o+1)*in]
				for i, v := range wo {
					acc[i] += g * float64(v)
				}
			}
			for i, v := range acc {
				dx[t*in+i] = F(v)
			}
		}
	})
}

// lgMatTN sets dw (out×in) = dyᵀ · x for dy (n×out), x (n×in): the weight
// gradient of a linear layer, summed over the n rows. For float32, xT
// (in×n) and bufs[part] (lgGradBlock×n each, one per goroutine) are scratch.
func lgMatTN[F model.Float](wk lgWorkers, dw, dy, x, xT []F, bufs [][]F, n, out, in int) {
	if dw32, ok := any(dw).([]float32); ok {
		xT32 := any(xT).([]float32)[:in*n]
		lgTranspose(wk, xT32, any(x).([]float32), n, in)
		dy32 := any(dy).([]float32)
		wk.run(out, lgGradBlock, func(part, lo, hi int) {
			buf := any(bufs[part]).([]float32)
			for o0 := lo; o0 < hi; o0 += lgGradBlock {
				o1 := min(o0+lgGradBlock, hi)
				nb := o1 - o0
				for t := 0; t < n; t++ {
					row := dy32[t*out+o0 : t*out+o1]
					for j, v := range row {
						buf[j*n+t] = v
					}
				}
				kernels.MatMul(dw32[o0*in:o1*in], xT32, buf[:nb*n], in, n)
			}
		})
		return
	}
	wk.run(out, 1, func(_, lo, hi int) {
		acc := make([]float64, in)
		for o := lo; o < hi; o++ {
			clear(acc)
			for t := 0; t < n; t++ {
				g := float64(dy[t*out+o])
				if g == 0 {
					continue
				}
				xt := x[t*in : (t+1)*in]
				for i, v := range xt {
					acc[i] += g * float64(v)
				}
			}
			for i, v := range acc {
				dw[o*in+i] = F(v)
			}
		}
	})
}

// lgColSums sets db[o] = Σ_t dy[t][o] (a bias gradient), accumulating in
// float64 in row order.
func lgColSums[F model.Float](db, dy []F, n, out int) {
	acc := make([]float64, out)
	for t := 0; t < n; t++ {
		for o, v := range dy[t*out : (t+1)*out] {
			acc[o] += float64(v)
		}
	}
	for o, v := range acc {
		db[o] = F(v)
	}
}

// lgTranspose sets dst (cols×rows) = srcᵀ for src (rows×cols).
func lgTranspose[F model.Float](wk lgWorkers, dst, src []F, rows, cols int) {
	const tile = 32
	wk.run(cols, tile, func(_, lo, hi int) {
		for c0 := lo; c0 < hi; c0 += tile {
			c1 := min(c0+tile, hi)
			for r0 := 0; r0 < rows; r0 += tile {
				r1 := min(r0+tile, rows)
				for c := c0; c < c1; c++ {
					d := dst[c*rows : (c+1)*rows]
					for r := r0; r < r1; r++ {
						d[r] = src[r*cols+c]
					}
				}
			}
		}
	})
}

// lgDot64 is Σ a[i]·b[i] accumulated in float64.
func lgDot64[F model.Float](a, b []F) float64 {
	b = b[:len(a)]
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}

// lgDot is Σ a[i]·b[i]: the SIMD kernel for float32, float64 otherwise.
func lgDot[F model.Float](a, b []F) F {
	if a32, ok := any(a).([]float32); ok {
		return F(kernels.Dot(a32, any(b).([]float32)))
	}
	return F(lgDot64(a, b))
}

// lgAxpy adds alpha·x to y.
func lgAxpy[F model.Float](alpha F, x, y []F) {
	if y32, ok := any(y).([]float32); ok {
		kernels.Axpy(float32(alpha), any(x).([]float32), y32)
		return
	}
	x = x[:len(y)]
	for i := range y {
		y[i] += alpha * x[i]
	}
}
