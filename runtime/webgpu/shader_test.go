package webgpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/xlstm-go/xlstm/weights/quant"
)

// run1 runs one shader dispatch over s tokens and returns the float32
// contents of out.
func run1(t *testing.T, d *Device, s int, name, format string, params []any, bufs []*buffer, out *buffer, x, y int) []float32 {
	t.Helper()
	seq, _ := d.upload(wgpu.ToBytes([]uint32{uint32(s), 0, 0, 0}))
	defer seq.release()
	b := &builder{d: d}
	b.add(name, format, params, append([]*buffer{seq}, bufs...), x, y, 1)
	p, err := b.finish()
	if err != nil {
		t.Fatal(err)
	}
	defer p.release()
	enc, _ := d.dev.CreateCommandEncoder(nil)
	pass := enc.BeginComputePass(nil)
	p.encode(pass)
	pass.End()
	res := make([]float32, out.size/4)
	if err := d.readback(enc, out, 0, wgpu.ToBytes(res), int(out.size)); err != nil {
		t.Fatal(err)
	}
	return res
}

func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// TestLinearShaders checks matvec and matmul in f32, q8 and q4 on ragged
// shapes, with row splits, offsets, bias, accumulate and soft-cap, against
// a float64 loop over the dequantised weights.
func TestLinearShaders(t *testing.T) {
	d := testDevice(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		format           string
		rows, cols, toks int
		limit            uint64
		flags            int
	}{
		{"f32", 1, 1, 1, 0, 0},
		{"f32", 37, 19, 3, 0, 1},
		{"f32", 129, 70, 17, 1000, 3},
		{"q8", 33, 64, 5, 0, 1},
		{"q8", 70, 96, 18, 1024, 6},
		{"q4", 45, 32, 1, 0, 4},
		{"q4", 100, 160, 33, 2000, 3},
	} {
		for _, kernel := range []string{"matvec", "matmul", "linear_rows"} {
			t.Run(fmt.Sprintf("%s/%s/%dx%d/s%d/split%d/f%d", kernel, c.format, c.rows, c.cols, c.toks, c.limit, c.flags), func(t *testing.T) {
				w := randVec(rng, c.rows*c.cols)
				var raw []byte
				group := 32
				if k, ok := quant.ParseKind(map[string]string{"q8": "Q8", "q4": "Q4"}[c.format]); ok {
					codes, scales := make([]byte, k.CodeBytes(len(w))), make([]byte, 2*len(w)/group)
					if err := quant.Quantize(k, w, group, codes, scales); err != nil {
						t.Fatal(err)
					}
					raw = append(codes, scales...)
					if err := quant.Dequantize(k, codes, scales, group, w); err != nil {
						t.Fatal(err)
					}
				}
				limit := c.limit
				if limit == 0 {
					limit = d.MaxBinding()
				}
				m, err := d.newMatrix(w, raw, c.format, c.rows, c.cols, group, limit)
				if err != nil {
					t.Fatal(err)
				}
				defer m.release()
				if c.limit > 0 && len(m.parts) < 2 {
					t.Fatalf("%d parts with limit %d", len(m.parts), c.limit)
				}
				// x rows have stride cols+3 and offset 2; y rows stride rows+5, offset 1.
				xs, xo, ys, yo := c.cols+3, 2, c.rows+5, 1
				x, bias, y0 := randVec(rng, c.toks*xs), randVec(rng, c.rows), randVec(rng, c.toks*ys)
				const capv = 3.0
				want := make([]float64, len(y0))
				for i := range y0 {
					want[i] = float64(y0[i])
				}
				for tk := 0; tk < c.toks; tk++ {
					for r := 0; r < c.rows; r++ {
						var acc float64
						for k := 0; k < c.cols; k++ {
							acc += float64(w[r*c.cols+k]) * float64(x[tk*xs+xo+k])
						}
						if c.flags&1 != 0 {
							acc += float64(bias[r])
						}
						if c.flags&4 != 0 {
							acc = capv * math.Tanh(acc/capv)
						}
						o := tk*ys + yo + r
						if c.flags&2 != 0 {
							acc += float64(y0[o])
						}
						want[o] = acc
					}
				}
				xb, _ := d.uploadF32(x)
				bb, _ := d.uploadF32(bias)
				yb, _ := d.uploadF32(y0)
				defer xb.release()
				defer bb.release()
				defer yb.release()
				for _, part := range m.parts {
					params := []any{part.rows, c.cols, xs, xo, ys, yo + part.row0, group, c.flags, float32(capv), part.row0, 0, 0}
					bufs := []*buffer{part.wq, part.ws, bb, xb, yb}
					switch kernel {
					case "matvec":
						run1(t, d, c.toks, kernel, c.format, params, bufs, yb, part.rows, 1)
					case "matmul":
						run1(t, d, c.toks, kernel, c.format, params, bufs, yb, ceil(part.rows, 16), ceil(c.toks, 16))
					default:
						run1(t, d, c.toks, kernel, c.format, params, bufs, yb, ceil(part.rows, 64), ceil(c.toks, 8))
					}
				}
				got := make([]float32, len(y0))
				if err := d.readback(nil, yb, 0, wgpu.ToBytes(got), 4*len(got)); err != nil {
					t.Fatal(err)
				}
				if e := maxAbs(got, want); e > 1e-4*math.Sqrt(float64(c.cols)) {
					t.Errorf("max abs %.3e", e)
				}
			})
		}
	}
}

// TestArgmaxShader checks the device argmax, ties to the lowest index,
// on the row seq[0]-1.
func TestArgmaxShader(t *testing.T) {
	d := testDevice(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ v, rows, tie int }{{1, 1, -1}, {7, 2, -1}, {300, 3, 17}, {50257, 1, 40000}} {
		x := randVec(rng, c.v*c.rows)
		row := x[(c.rows-1)*c.v:]
		want := 0
		for i, v := range row {
			if v > row[want] {
				want = i
			}
		}
		if c.tie >= 0 {
			// A tie with a later index keeps the earlier; an earlier one wins.
			row[c.tie] = row[want]
			want = min(want, c.tie)
		}
		xb, _ := d.uploadF32(x)
		out, _ := d.buffer(16)
		got := run1(t, d, c.rows, "argmax", "", []any{c.v, 0, 0, 0}, []*buffer{xb, out}, out, 1, 1)
		if id := int(math.Float32bits(got[0])); id != want {
			t.Errorf("v=%d rows=%d: argmax %d, want %d", c.v, c.rows, id, want)
		}
		xb.release()
		out.release()
	}
}

// TestCompileAll builds every shader's pipeline in every weight format.
func TestCompileAll(t *testing.T) {
	d := testDevice(t)
	for name := range bindings {
		for _, f := range []string{"f32", "q8", "q4"} {
			if _, err := d.pipeline(name, f); err != nil {
				t.Errorf("%s/%s: %v", name, f, err)
			}
			if !weighted(name) {
				break
			}
		}
	}
}

// TestTopKShader checks the device top-k selection (ties at the boundary go
// to the lower index) against a sort on the host.
func TestTopKShader(t *testing.T) {
	d := testDevice(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ v, k, ties int }{{1, 1, 0}, {10, 3, 0}, {300, 21, 5}, {50304, 1024, 40}, {1000, 1000, 0}} {
		x := randVec(rng, 2*c.v)
		row := x[c.v:]
		for i := 0; i < c.ties; i++ { // copies of a mid-ranked value
			row[rng.IntN(c.v)] = row[0]
		}
		row[c.v/2] = float32(math.Inf(-1))
		want := map[int]bool{}
		for len(want) < c.k {
			best := -1
			for i, v := range row {
				if !want[i] && (best < 0 || v > row[best]) {
					best = i
				}
			}
			want[best] = true
		}
		xb, _ := d.uploadF32(x)
		out, _ := d.buffer(8 * (c.k + 1))
		got := run1(t, d, 2, "topk", "", []any{c.v, c.k, 0, 0}, []*buffer{xb, out}, out, 1, 1)
		raw := make([]uint32, len(got))
		for i, f := range got {
			raw[i] = math.Float32bits(f)
		}
		if int(raw[0]) != c.k || raw[1] != 0 {
			t.Fatalf("v=%d k=%d: count %d, flag %d", c.v, c.k, raw[0], raw[1])
		}
		for i := 0; i < c.k; i++ {
			id := int(raw[2+2*i])
			if !want[id] || raw[3+2*i] != math.Float32bits(row[id]) {
				t.Fatalf("v=%d k=%d: candidate %d (%v) is not in the top k", c.v, c.k, id, math.Float32frombits(raw[3+2*i]))
			}
			delete(want, id)
		}
		xb.release()
		out.release()
	}
}
