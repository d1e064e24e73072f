package kernels

import (
	"fmt"

	"github.com/xlstm-go/xlstm/weights/quant"
)

// QMat is a row-major (Rows × Cols) weight matrix kept quantised as a
// bundle stores it (weights/quant): q8 or q4 codes, one scale per Group
// consecutive values of a row. The f16 scales are widened to float32 once,
// at load, so the kernels broadcast them without converting.
//
// The products dequantise in registers, each weight exactly as
// quant.Dequantize does (float32(code)·scale), and accumulate in the order
// of the float32 kernels: MatVecQ and MatMulQ give bit for bit what MatVec
// and MatMul give on the dequantised matrix (on amd64 when Group is a
// multiple of 16; otherwise to the twins' 1e-5).
type QMat struct {
	Kind              quant.Kind
	Rows, Cols, Group int
	Codes             []byte    // q8: one int8 per value; q4: two values per byte (see planar)
	Scales            []float32 // Rows·Cols/Group, row-major

	// planar, when not 0, is the run length r (16 or 32) of q4 codes
	// re-packed at load for the kernels: in each run of r values, byte k
	// holds value k in its low nibble and value k+r/2 in its high one (the
	// bundle's order is values 2k, 2k+1). Then one sign-extending load and
	// two shifts give r/2 values each, in order.
	planar int
}

// NewQMat wraps a quantised payload (codes then little-endian f16 scales,
// as weights/quant writes it) of a rows × cols matrix in groups of group.
// The codes are referenced, not copied.
func NewQMat(kind quant.Kind, rows, cols, group int, payload []byte) (*QMat, error) {
	if rows < 0 || cols <= 0 || group <= 0 || cols%group != 0 {
		return nil, fmt.Errorf("quantised matrix %d×%d: group %d does not divide the row length", rows, cols, group)
	}
	n := rows * cols
	if err := kind.CheckGroup(n, group); err != nil {
		return nil, fmt.Errorf("quantised matrix %d×%d: %w", rows, cols, err)
	}
	codes, scales, err := quant.Split(kind, payload, n, group, 0, n)
	if err != nil {
		return nil, fmt.Errorf("quantised matrix %d×%d: %w", rows, cols, err)
	}
	q := &QMat{Kind: kind, Rows: rows, Cols: cols, Group: group, Codes: codes, Scales: make([]float32, n/group)}
	if r := q4Run(group); kind == quant.Q4 && r > 0 {
		q.Codes, q.planar = planarQ4(codes, r), r
	}
	for i := range q.Scales {
		q.Scales[i] = quant.F16ToF32(uint16(scales[2*i]) | uint16(scales[2*i+1])<<8)
	}
	return q, nil
}

// rowBytes is the code bytes of one row.
func (q *QMat) rowBytes() int { return q.Kind.CodeBytes(q.Cols) }

// RowRange returns the rows [r0, r1) as a matrix sharing q's storage (for
// fused checkpoints split by rows, and for sharing a product out).
func (q *QMat) RowRange(r0, r1 int) *QMat {
	v := q.rows(r0, r1)
	return &v
}

// rows is RowRange as a value (no allocation).
func (q *QMat) rows(r0, r1 int) QMat {
	g := q.Cols / q.Group
	return QMat{Kind: q.Kind, planar: q.planar, Rows: r1 - r0, Cols: q.Cols, Group: q.Group,
		Codes:  q.Codes[r0*q.rowBytes() : r1*q.rowBytes()],
		Scales: q.Scales[r0*g : r1*g]}
}

// DequantizeRows writes the rows [r0, r1) as float32 into dst
// ((r1-r0)·Cols values), exactly as quant.Dequantize would.
func (q *QMat) DequantizeRows(dst []float32, r0, r1 int) {
	n, g := q.Cols, q.Group
	dst = dst[:(r1-r0)*n]
	for r := r0; r < r1; r++ {
		out := dst[(r-r0)*n : (r-r0+1)*n]
		codes := q.Codes[r*q.rowBytes() : (r+1)*q.rowBytes()]
		scales := q.Scales[r*(n/g) : (r+1)*(n/g)]
		if q.Kind == quant.Q8 {
			for i, c := range codes {
				out[i] = float32(int8(c)) * scales[i/g]
			}
			continue
		}
		row := q.qrow(r)
		for i := range out {
			out[i] = float32(row.code(i)) * scales[i/g]
		}
	}
}

// planarQ4 re-packs q4 codes from the bundle's order into the planar one
// of run length r (a new slice; len(codes) is a multiple of r/2).
func planarQ4(codes []byte, r int) []byte {
	out := make([]byte, len(codes))
	h := r / 2
	var v [32]byte // the nibbles of one run, in value order
	for b := 0; b < len(codes); b += h {
		for k, c := range codes[b : b+h] {
			v[2*k], v[2*k+1] = c&0x0f, c>>4
		}
		for k := range h {
			out[b+k] = v[k] | v[k+h]<<4
		}
	}
	return out
}

// MatVecQ computes y = W x for the quantised W (len(y) = W.Rows,
// len(x) = W.Cols).
func MatVecQ(y []float32, w *QMat, x []float32) {
	y = y[:w.Rows]
	x = x[:w.Cols]
	if len(y) == 0 {
		return
	}
	matVecQ(y, w, x)
}

// tileRows is how many rows MatMul and MatMulQ keep in cache while every
// token passes over them; MatMulQ dequantises one such tile at a time.
const tileRows = 64

// MatMulQ computes y[t] = W x[t] for every token t like MatMul: x is
// (s × W.Cols), y is (s × W.Rows). Each tile of 64 rows is dequantised into
// scratch (at least 64·W.Cols values; a shorter one is replaced by a new
// slice) and multiplied by the float32 kernel.
func MatMulQ(y []float32, w *QMat, x []float32, scratch []float32) {
	n, rows := w.Cols, w.Rows
	if rows == 0 || len(x)%n != 0 {
		clear(y)
		return
	}
	s := len(x) / n
	y = y[:s*rows]
	if len(scratch) < tileRows*n {
		scratch = make([]float32, tileRows*n)
	}
	for r0 := 0; r0 < rows; r0 += tileRows {
		r1 := min(r0+tileRows, rows)
		w.DequantizeRows(scratch, r0, r1)
		matMulTile(y, rows, scratch[:(r1-r0)*n], x, r0, r1, n)
	}
}
