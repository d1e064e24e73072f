package kernels

import "github.com/xlstm-go/xlstm/weights/quant"

// matVecQGeneric is matVecGeneric on the dequantised matrix, weight by
// weight in the same order, so the two agree bit for bit; each weight is
// float32(code)·scale as quant.Dequantize computes it.
func matVecQGeneric(y []float32, w *QMat, x []float32) {
	o := 0
	for ; o+4 <= len(y); o += 4 {
		r0, r1, r2, r3 := w.qrow(o), w.qrow(o+1), w.qrow(o+2), w.qrow(o+3)
		var s0, s1, s2, s3 float64
		for g := 0; g*w.Group < len(x); g++ {
			c0, c1, c2, c3 := r0.scales[g], r1.scales[g], r2.scales[g], r3.scales[g]
			lo := g * w.Group
			for i, xv := range x[lo : lo+w.Group] {
				xf := float64(xv)
				i += lo
				s0 += float64(float32(r0.code(i))*c0) * xf
				s1 += float64(float32(r1.code(i))*c1) * xf
				s2 += float64(float32(r2.code(i))*c2) * xf
				s3 += float64(float32(r3.code(i))*c3) * xf
			}
		}
		y[o], y[o+1], y[o+2], y[o+3] = float32(s0), float32(s1), float32(s2), float32(s3)
	}
	for ; o < len(y); o++ {
		r := w.qrow(o)
		var s0, s1, s2, s3 float64 // dotGeneric's four partial sums
		i := 0
		for ; i+4 <= len(x); i += 4 {
			s0 += float64(r.at(i)) * float64(x[i])
			s1 += float64(r.at(i+1)) * float64(x[i+1])
			s2 += float64(r.at(i+2)) * float64(x[i+2])
			s3 += float64(r.at(i+3)) * float64(x[i+3])
		}
		for ; i < len(x); i++ {
			s0 += float64(r.at(i)) * float64(x[i])
		}
		y[o] = float32((s0 + s1) + (s2 + s3))
	}
}

// qrowView is one row of a QMat.
type qrowView struct {
	q4     bool
	planar int
	group  int
	codes  []byte
	scales []float32
}

func (q *QMat) qrow(r int) qrowView {
	g := q.Cols / q.Group
	return qrowView{q.Kind == quant.Q4, q.planar, q.Group, q.Codes[r*q.rowBytes() : (r+1)*q.rowBytes()], q.Scales[r*g : (r+1)*g]}
}

// code returns the integer code of weight i of the row.
func (r qrowView) code(i int) int8 {
	if !r.q4 {
		return int8(r.codes[i])
	}
	var c byte
	var low bool
	switch h := r.planar / 2; r.planar {
	case 16, 32:
		c, low = r.codes[i/r.planar*h+i%h], i%r.planar < h
	default:
		c, low = r.codes[i>>1], i&1 == 0
	}
	if low {
		return int8(c<<4) >> 4
	}
	return int8(c) >> 4
}

// at returns the dequantised weight i of the row.
func (r qrowView) at(i int) float32 {
	return float32(r.code(i)) * r.scales[i/r.group]
}
