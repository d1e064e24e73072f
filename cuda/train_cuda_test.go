//go:build cuda || cudaemu

package cuda

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/train"
	"github.com/xlstm-go/xlstm/weights/quant"
)

// TestQuantizeMatchesCPU holds the GPU quantiser to weights/quant byte for
// byte (codes and scales), and the dequantiser to quant.Dequantize.
func TestQuantizeMatchesCPU(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(15, 16))
	for _, tc := range []struct {
		kind  quant.Kind
		bits  int
		group int
	}{{quant.Q8, 8, 64}, {quant.Q4, 4, 64}, {quant.Q8, 8, 32}, {quant.Q4, 4, 128}} {
		n := 64 * 1024
		x := randVec(r, n, 0.05)
		copy(x[:64], make([]float32, 64)) // an all-zero group: scale 0
		x[100] = 1e-6                     // tiny values: subnormal f16 scales
		codeBytes := tc.kind.CodeBytes(n)
		wantC, wantS := make([]byte, codeBytes), make([]byte, 2*(n/tc.group))
		must(t, quant.Quantize(tc.kind, x, tc.group, wantC, wantS))
		codes, err := d.Alloc(int64(codeBytes))
		must(t, err)
		defer codes.Free()
		scales, err := d.Alloc(int64(len(wantS)))
		must(t, err)
		defer scales.Free()
		bx := up(t, d, x)
		must(t, d.Quantize(codes, scales, bx, n, tc.group, tc.bits))
		must(t, d.Sync())
		gotC, gotS := make([]byte, codeBytes), make([]byte, len(wantS))
		must(t, codes.DownloadBytes(gotC))
		must(t, scales.DownloadBytes(gotS))
		if !bytes.Equal(gotC, wantC) || !bytes.Equal(gotS, wantS) {
			t.Errorf("%v group %d: GPU codes/scales differ from weights/quant", tc.kind, tc.group)
		}
		y := zeros(t, d, n)
		must(t, d.Dequantize(y, codes, scales, n, tc.group, tc.bits))
		want := make([]float32, n)
		must(t, quant.Dequantize(tc.kind, wantC, wantS, tc.group, want))
		got := down(t, d, y, n)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%v: dequantised value %d = %g, want %g", tc.kind, i, got[i], want[i])
			}
		}
	}
	// A NaN is an error naming its group's first element.
	x := make([]float32, 256)
	x[130] = float32(math.NaN())
	codes, _ := d.Alloc(256)
	defer codes.Free()
	scales, _ := d.Alloc(8)
	defer scales.Free()
	if err := d.Quantize(codes, scales, up(t, d, x), 256, 64, 8); err == nil || !bytes.Contains([]byte(err.Error()), []byte("element 128")) {
		t.Errorf("NaN input: err = %v, want one naming element 128", err)
	}
}

func TestConvertMatchesCPU(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(17, 18))
	n := 10000
	x := randVec(r, n, 100)
	x[0], x[1], x[2], x[3] = 1e-7, 70000, float32(math.Inf(-1)), float32(math.NaN())
	bx := up(t, d, x)
	for _, to := range []string{"F16", "BF16"} {
		h, err := d.Alloc(int64(2 * n))
		must(t, err)
		defer h.Free()
		must(t, d.Convert(h, bx, "F32", to, n))
		must(t, d.Sync())
		got := make([]byte, 2*n)
		must(t, h.DownloadBytes(got))
		for i, v := range x {
			want := quant.F32ToF16(v)
			if to == "BF16" {
				want = quant.F32ToBF16(v)
			}
			if g := binary.LittleEndian.Uint16(got[2*i:]); g != want {
				t.Fatalf("%s(%g) = %#04x, want %#04x", to, v, g, want)
			}
		}
		back := zeros(t, d, n)
		must(t, d.Convert(back, h, to, "F32", n))
		gb := down(t, d, back, n)
		for i := range gb {
			bits := binary.LittleEndian.Uint16(got[2*i:])
			want := quant.F16ToF32(bits)
			if to == "BF16" {
				want = quant.BF16ToF32(bits)
			}
			if math.Float32bits(gb[i]) != math.Float32bits(want) && !(math.IsNaN(float64(want)) && math.IsNaN(float64(gb[i]))) {
				t.Fatalf("%s→F32 of %#04x = %g, want %g", to, bits, gb[i], want)
			}
		}
	}
}

// TestAdamWMatchesTrain runs three clipped AdamW steps on the GPU and with
// runtime/train (ClipGradNorm + AdamW.Update) and compares the weights.
func TestAdamWMatchesTrain(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(19, 20))
	sizes := []int{1000, 37, 5000}
	p := &train.Params{}
	for i, n := range sizes {
		p.Specs = append(p.Specs, model.TensorSpec{Name: string(rune('a' + i)), Shape: []int{n}})
		p.Data = append(p.Data, randVec(r, n, 1))
	}
	opt := train.NewAdamW(p, 0.9, 0.95, 1e-8, 0.1)
	opt.Decay = func(name string, _ []int) bool { return name != "b" }
	gpu, err := d.NewOptimizer(0.9, 0.95, 1e-8, 0.1, 1.0)
	must(t, err)
	defer gpu.Close()
	var params []Param
	for i, n := range sizes {
		params = append(params, Param{W: up(t, d, p.Data[i]), G: zeros(t, d, n), M: zeros(t, d, n), V: zeros(t, d, n), N: n, Decay: i != 1})
	}
	for step := 0; step < 3; step++ {
		g := p.Clone()
		for i := range g.Data {
			g.Data[i] = randVec(r, sizes[i], 0.3)
			must(t, params[i].G.Upload(g.Data[i]))
		}
		lr := 1e-2 * float64(step+1)
		wantNorm := train.ClipGradNorm(g, 1.0)
		opt.Update(p, g, lr)
		norm, err := gpu.Update(params, lr)
		must(t, err)
		if math.Abs(norm-wantNorm) > 1e-5*wantNorm {
			t.Errorf("step %d: norm %g, want %g", step, norm, wantNorm)
		}
		for i, n := range sizes {
			closeTo(t, "adamw weights", down(t, d, params[i].W, n), f64(p.Data[i]), 1e-6)
		}
	}
}
