package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestF16RoundTrip: every finite f16 value converts to float32 and back
// unchanged, and conversion rounds to nearest even between neighbours.
func TestF16RoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := F16ToF32(uint16(h))
		if f != f { // NaN
			if g := F16ToF32(F32ToF16(f)); g == g {
				t.Fatalf("NaN %#04x did not stay NaN", h)
			}
			continue
		}
		if back := F32ToF16(f); back != uint16(h) {
			t.Fatalf("%#04x → %v → %#04x", h, f, back)
		}
	}
	// Midpoints between consecutive positive f16 values round to even.
	for h := uint16(0); h < 0x7bff; h++ {
		lo, hi := float64(F16ToF32(h)), float64(F16ToF32(h+1))
		mid := float32((lo + hi) / 2)
		want := h
		if h&1 == 1 {
			want = h + 1
		}
		if got := F32ToF16(mid); got != want {
			t.Fatalf("midpoint of %#04x/%#04x (%v) → %#04x, want %#04x", h, h+1, mid, got, want)
		}
	}
	cases := map[float32]uint16{1: 0x3c00, -2: 0xc000, 65504: 0x7bff, 65520: 0x7c00, 1e-8: 0, 6e-8: 1, float32(math.Inf(-1)): 0xfc00}
	for f, want := range cases {
		if got := F32ToF16(f); got != want {
			t.Errorf("F32ToF16(%v) = %#04x, want %#04x", f, got, want)
		}
	}
}

func TestBF16(t *testing.T) {
	for _, c := range []struct {
		f    float32
		want uint16
	}{{1, 0x3f80}, {-2, 0xc000}, {1.00390625, 0x3f80}, {1.01171875, 0x3f82}, {float32(math.Inf(1)), 0x7f80}} {
		if got := F32ToBF16(c.f); got != c.want {
			t.Errorf("F32ToBF16(%v) = %#04x, want %#04x", c.f, got, c.want)
		}
		if c.want&0x7f80 != 0x7f80 && BF16ToF32(c.want) != c.f && c.f != 1.00390625 && c.f != 1.01171875 {
			t.Errorf("BF16ToF32(%#04x) = %v", c.want, BF16ToF32(c.want))
		}
	}
	nan := float32(math.NaN())
	if g := BF16ToF32(F32ToBF16(nan)); g == g {
		t.Error("NaN did not stay NaN")
	}
}

func TestEncodeDecode(t *testing.T) {
	v := []float32{0, 1, -1.5, 3.25, 1e-3}
	for _, dt := range []string{"F32", "F16", "BF16", "F64"} {
		raw := make([]byte, len(v)*ElemSize(dt))
		if err := EncodeFloat32(dt, v, raw); err != nil {
			t.Fatal(err)
		}
		got := make([]float32, len(v))
		if err := DecodeFloat32(dt, raw, got); err != nil {
			t.Fatal(err)
		}
		for i := range v {
			if d := math.Abs(float64(got[i] - v[i])); d > 0.01*math.Abs(float64(v[i])) {
				t.Errorf("%s: %v → %v", dt, v[i], got[i])
			}
		}
	}
	if err := DecodeFloat32("I64", make([]byte, 8), make([]float32, 1)); err == nil {
		t.Error("I64 decoded as float")
	}
	if err := DecodeFloat32("F32", make([]byte, 7), make([]float32, 2)); err == nil {
		t.Error("short buffer accepted")
	}
}

// TestQuantizeError: every dequantised value is within half a step (plus
// the scale's f16 rounding) of the original, codes stay in range, and
// Split addresses group ranges of the payload.
func TestQuantizeError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []Kind{Q8, Q4} {
		for _, group := range []int{2, 32, 64} {
			n := group * 12
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64()) * float32(1+i%5)
			}
			x[5] = 0
			for i := 0; i < group; i++ {
				x[group+i] = 0 // an all-zero group
			}
			payload := make([]byte, k.Size(n, group))
			codes, scales := payload[:k.CodeBytes(n)], payload[k.CodeBytes(n):]
			if err := Quantize(k, x, group, codes, scales); err != nil {
				t.Fatal(err)
			}
			y := make([]float32, n)
			if err := Dequantize(k, codes, scales, group, y); err != nil {
				t.Fatal(err)
			}
			for g := 0; g < n/group; g++ {
				var amax float64
				for _, v := range x[g*group : (g+1)*group] {
					amax = math.Max(amax, math.Abs(float64(v)))
				}
				step := amax / float64(k.qmax())
				for i := g * group; i < (g+1)*group; i++ {
					if d := math.Abs(float64(x[i] - y[i])); d > step*0.5*1.002+1e-7 {
						t.Fatalf("%v group %d: x[%d]=%v → %v (step %v)", k, group, i, x[i], y[i], step)
					}
				}
			}
			if k == Q4 {
				for _, b := range codes {
					lo, hi := int8(b<<4)>>4, int8(b)>>4
					if lo < -7 || hi < -7 {
						t.Fatalf("Q4 code -8 written")
					}
				}
			}
			c2, s2, err := Split(k, payload, n, group, 2*group, 3*group)
			if err != nil {
				t.Fatal(err)
			}
			part := make([]float32, 3*group)
			if err := Dequantize(k, c2, s2, group, part); err != nil {
				t.Fatal(err)
			}
			for i := range part {
				if part[i] != y[2*group+i] {
					t.Fatalf("Split range differs at %d", i)
				}
			}
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	c, s := make([]byte, 4), make([]byte, 2)
	if err := Quantize(Q8, []float32{1, float32(math.NaN()), 0, 0}, 4, c, s); err == nil {
		t.Error("NaN accepted")
	}
	if err := Quantize(Q8, []float32{1e7, 0, 0, 0}, 4, c, s); err == nil {
		t.Error("scale beyond f16 accepted")
	}
	if err := Quantize(Q4, []float32{1, 2, 3}, 3, make([]byte, 1), s); err == nil {
		t.Error("odd Q4 group accepted")
	}
	if err := Quantize(Q8, []float32{1, 2, 3}, 2, c, s); err == nil {
		t.Error("partial group accepted")
	}
	if _, _, err := Split(Q8, make([]byte, 10), 8, 4, 2, 4); err == nil {
		t.Error("unaligned split accepted")
	}
}

func BenchmarkQuantizeQ4(b *testing.B) {
	x := make([]float32, 1<<20)
	for i := range x {
		x[i] = float32(i%977) * 1e-3
	}
	codes, scales := make([]byte, Q4.CodeBytes(len(x))), make([]byte, 2*len(x)/64)
	b.SetBytes(int64(len(x) * 2))
	for b.Loop() {
		Quantize(Q4, x, 64, codes, scales)
	}
}
