package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xlstm-go/xlstm/weights/quant"
)

// randQMat quantises a random rows × cols matrix and returns it with its
// dequantised float32 twin.
func randQMat(t testing.TB, rng *rand.Rand, kind quant.Kind, rows, cols, group int) (*QMat, []float32) {
	t.Helper()
	w := randVec(rng, rows*cols)
	// Vary the scale between groups so a wrong group index shows.
	for i := range w {
		w[i] *= float32(1 + (i/group)%5)
	}
	payload := make([]byte, kind.Size(len(w), group))
	if err := quant.Quantize(kind, w, group, payload[:kind.CodeBytes(len(w))], payload[kind.CodeBytes(len(w)):]); err != nil {
		t.Fatal(err)
	}
	q, err := NewQMat(kind, rows, cols, group, payload)
	if err != nil {
		t.Fatal(err)
	}
	deq := make([]float32, len(w))
	if err := quant.Dequantize(kind, payload[:kind.CodeBytes(len(w))], payload[kind.CodeBytes(len(w)):], group, deq); err != nil {
		t.Fatal(err)
	}
	return q, deq
}

// qShapes: groups that the assembly takes (multiples of 16) and ragged
// ones that fall back to the twin, several column counts per group.
var qShapes = []struct {
	kind         quant.Kind
	group, ncols int
}{
	{quant.Q8, 16, 1}, {quant.Q8, 16, 5}, {quant.Q8, 32, 3}, {quant.Q8, 64, 8}, {quant.Q8, 128, 2},
	{quant.Q8, 8, 3}, {quant.Q8, 24, 2}, {quant.Q8, 1, 7},
	{quant.Q4, 16, 1}, {quant.Q4, 16, 7}, {quant.Q4, 32, 3}, {quant.Q4, 64, 8}, {quant.Q4, 128, 2},
	{quant.Q4, 2, 5}, {quant.Q4, 8, 3}, {quant.Q4, 40, 2},
}

// exactQ reports whether MatVecQ must equal MatVec on the dequantised
// matrix bit for bit: the twins always pair; the assembly when the group
// lines up with the steps of the kernels in use.
func exactQ(group int) bool {
	switch {
	case !accelerated:
		return true
	case avx512:
		return group%32 == 0
	}
	return group%16 == 0
}

// eachWidth runs f with the kernels chosen for this CPU and, on AVX-512
// CPUs, once more with the AVX2 ones (matrices must be built inside f: the
// q4 layout depends on the choice).
func eachWidth(t *testing.T, f func(t *testing.T)) {
	t.Run(fmt.Sprintf("avx512=%v", avx512), f)
	if avx512 {
		avx512 = false
		defer func() { avx512 = true }()
		t.Run("avx512=false", f)
	}
}

func TestMatVecQ(t *testing.T) { eachWidth(t, testMatVecQ) }

func testMatVecQ(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, sh := range qShapes {
		for _, rows := range []int{1, 2, 3, 4, 5, 8, 13, 67} {
			cols := sh.group * sh.ncols
			q, deq := randQMat(t, rng, sh.kind, rows, cols, sh.group)
			x := randVec(rng, cols)
			got, twin, ref, refTwin := make([]float32, rows), make([]float32, rows), make([]float32, rows), make([]float32, rows)
			for i := range got {
				got[i] = 99 // must overwrite, not accumulate
			}
			MatVecQ(got, q, x)
			matVecQGeneric(twin, q, x)
			MatVec(ref, deq, x)
			matVecGeneric(refTwin, deq, x)
			for o := range got {
				var scale float32
				for i := 0; i < cols; i++ {
					scale += float32(math.Abs(float64(deq[o*cols+i] * x[i])))
				}
				name := fmt.Sprintf("%v group %d %d×%d row %d", sh.kind, sh.group, rows, cols, o)
				if twin[o] != refTwin[o] {
					t.Fatalf("%s: twin %v, float32 twin on the dequantised matrix %v", name, twin[o], refTwin[o])
				}
				if !close32(got[o], twin[o], scale) {
					t.Fatalf("%s: MatVecQ %v, twin %v", name, got[o], twin[o])
				}
				// Where the assembly runs, it must round exactly as the
				// float32 kernel on the dequantised matrix.
				if exactQ(sh.group) && got[o] != ref[o] {
					t.Fatalf("%s: MatVecQ %v, MatVec on the dequantised matrix %v", name, got[o], ref[o])
				}
			}
		}
	}
}

func TestMatMulQ(t *testing.T) { eachWidth(t, testMatMulQ) }

func testMatMulQ(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, sh := range qShapes[:12] {
		for _, rows := range []int{1, 5, 64, 130} {
			for _, s := range []int{1, 2, 3, 7} {
				cols := sh.group * sh.ncols
				q, deq := randQMat(t, rng, sh.kind, rows, cols, sh.group)
				x := randVec(rng, s*cols)
				got, want := make([]float32, s*rows), make([]float32, s*rows)
				var scratch []float32
				if s%2 == 0 {
					scratch = make([]float32, tileRows*cols) // else MatMulQ allocates
				}
				MatMulQ(got, q, x, scratch)
				MatMul(want, deq, x, rows, cols)
				for k := range got {
					if got[k] != want[k] {
						t.Fatalf("%v group %d %d×%d s=%d: element %d is %v, MatMul on the dequantised matrix %v", sh.kind, sh.group, rows, cols, s, k, got[k], want[k])
					}
				}
			}
		}
	}
}

func TestDequantizeRows(t *testing.T) { eachWidth(t, testDequantizeRows) }

func testDequantizeRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, sh := range qShapes {
		cols := sh.group * sh.ncols
		q, deq := randQMat(t, rng, sh.kind, 9, cols, sh.group)
		got := make([]float32, 4*cols)
		q.DequantizeRows(got, 3, 7)
		sub := make([]float32, 4*cols)
		q.RowRange(3, 7).DequantizeRows(sub, 0, 4)
		for i := range got {
			if got[i] != deq[3*cols+i] || sub[i] != got[i] {
				t.Fatalf("%v group %d: value %d is %v (row range %v), want %v", sh.kind, sh.group, i, got[i], sub[i], deq[3*cols+i])
			}
		}
	}
}

func TestNewQMatErrors(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		kind                  quant.Kind
		rows, cols, group, sz int
	}{
		{"group not dividing", quant.Q8, 2, 10, 4, 20 + 6},
		{"odd q4 group", quant.Q4, 2, 9, 3, 9 + 12},
		{"short payload", quant.Q8, 2, 8, 4, 8},
		{"zero group", quant.Q8, 2, 8, 0, 16},
		{"unknown kind", quant.Kind(9), 2, 8, 4, 24},
	} {
		if _, err := NewQMat(tc.kind, tc.rows, tc.cols, tc.group, make([]byte, tc.sz)); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestPoolMatVecQ(t *testing.T) { eachWidth(t, testPoolMatVecQ) }

func testPoolMatVecQ(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, threads := range []int{1, 2, 3} {
		p := NewPool(threads)
		for _, kind := range []quant.Kind{quant.Q8, quant.Q4} {
			for _, shape := range [][2]int{{9, 64}, {2049, 512}, {1031, 1088}} {
				q, _ := randQMat(t, rng, kind, shape[0], shape[1], 64)
				x := randVec(rng, shape[1])
				got, want := make([]float32, shape[0]), make([]float32, shape[0])
				p.MatVecQ(got, q, x)
				MatVecQ(want, q, x)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("threads=%d %v %v row %d: pool %v, serial %v", threads, kind, shape, i, got[i], want[i])
					}
				}
			}
		}
		p.Close()
	}
}

func TestMatVecQAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	p := NewPool(2)
	defer p.Close()
	for _, kind := range []quant.Kind{quant.Q8, quant.Q4} {
		q, _ := randQMat(t, rng, kind, 2051, 1024, 64)
		x, y := randVec(rng, 1024), make([]float32, 2051)
		if a := testing.AllocsPerRun(50, func() { MatVecQ(y, q, x) }); a != 0 {
			t.Errorf("%v: MatVecQ allocates %.1f times per call", kind, a)
		}
		if a := testing.AllocsPerRun(50, func() { p.MatVecQ(y, q, x) }); a != 0 {
			t.Errorf("%v: Pool.MatVecQ allocates %.1f times per call", kind, a)
		}
	}
}

func BenchmarkMatVecQ(b *testing.B) {
	rng := rand.New(rand.NewPCG(31, 32))
	const rows, cols = 4096, 1024
	x, y := randVec(rng, cols), make([]float32, rows)
	for _, kind := range []quant.Kind{quant.Q8, quant.Q4} {
		q, deq := randQMat(b, rng, kind, rows, cols, 64)
		b.Run(kind.String(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				MatVecQ(y, q, x)
			}
			b.ReportMetric(float64(b.N)*rows*cols/b.Elapsed().Seconds()/1e9, "Gweights/s")
		})
		if kind == quant.Q8 {
			b.Run("F32", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					MatVec(y, deq, x)
				}
				b.ReportMetric(float64(b.N)*rows*cols/b.Elapsed().Seconds()/1e9, "Gweights/s")
			})
		}
	}
}

// FuzzNewQMat: any payload and shape is either refused with an error or
// gives a matrix whose products and rows can be computed without a panic.
func FuzzNewQMat(f *testing.F) {
	f.Add(uint8(1), uint8(4), uint8(32), uint8(16), make([]byte, 4*32+2*8))
	f.Add(uint8(2), uint8(3), uint8(16), uint8(16), make([]byte, 3*8+2*3))
	f.Add(uint8(2), uint8(1), uint8(6), uint8(3), []byte{1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, kind, rows, cols, group uint8, payload []byte) {
		q, err := NewQMat(quant.Kind(kind), int(rows), int(cols), int(group), payload)
		if err != nil {
			return
		}
		x := make([]float32, q.Cols)
		for i := range x {
			x[i] = float32(i%7) - 3
		}
		y := make([]float32, q.Rows)
		MatVecQ(y, q, x)
		MatMulQ(make([]float32, 2*q.Rows), q, append(x, x...), nil)
		q.DequantizeRows(make([]float32, q.Rows*q.Cols), 0, q.Rows)
	})
}
