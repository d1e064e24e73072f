package safetensors

import (
	"math"
	"strings"
	"testing"
)

func TestDTypeSize(t *testing.T) {
	want := map[DType]int{F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, "F8_E4M3": 0, "": 0}
	for d, n := range want {
		if got := d.Size(); got != n {
			t.Errorf("%q.Size() = %d, want %d", d, got, n)
		}
	}
}

// sameFloat compares bit patterns, except that any NaN matches any NaN.
func sameFloat(got, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Float64bits(got) == math.Float64bits(want)
}

func TestHalfDecoding(t *testing.T) {
	negZero := math.Copysign(0, -1)
	cases := []struct {
		dtype DType
		bits  uint16
		want  float64
	}{
		{F16, 0x0000, 0},
		{F16, 0x8000, negZero},
		{F16, 0x3C00, 1},
		{F16, 0xC100, -2.5},
		{F16, 0x7BFF, 65504},
		{F16, 0x0001, math.Ldexp(1, -24)}, // smallest subnormal
		{F16, 0x8001, -math.Ldexp(1, -24)},
		{F16, 0x03FF, math.Ldexp(1023, -24)}, // largest subnormal
		{F16, 0x0400, math.Ldexp(1, -14)},    // smallest normal
		{F16, 0x3555, 0.333251953125},
		{F16, 0x7C00, math.Inf(1)},
		{F16, 0xFC00, math.Inf(-1)},
		{F16, 0x7E00, math.NaN()},
		{F16, 0xFC01, math.NaN()},
		{BF16, 0x3F80, 1},
		{BF16, 0xC020, -2.5},
		{BF16, 0x4049, 3.140625},
		{BF16, 0x7F7F, math.Ldexp(255, 120)}, // largest finite
		{BF16, 0x0001, math.Ldexp(1, -133)},  // smallest subnormal
		{BF16, 0x8000, negZero},
		{BF16, 0x7F80, math.Inf(1)},
		{BF16, 0xFF80, math.Inf(-1)},
		{BF16, 0x7FC0, math.NaN()},
	}
	for _, dt := range []DType{F16, BF16} {
		var bits []uint16
		var want []float64
		for _, c := range cases {
			if c.dtype == dt {
				bits = append(bits, c.bits)
				want = append(want, c.want)
			}
		}
		n := len(bits)
		header := `{"x":{"dtype":"` + string(dt) + `","shape":[` + itoa(n) + `],"data_offsets":[0,` + itoa(2*n) + `]}}`
		f, err := Parse(rawFile(header, le16(bits...)))
		if err != nil {
			t.Fatal(err)
		}
		got32, err := f.Float32("x")
		if err != nil {
			t.Fatal(err)
		}
		got64, err := f.Float64("x")
		if err != nil {
			t.Fatal(err)
		}
		for i := range bits {
			if !sameFloat(float64(got32[i]), want[i]) {
				t.Errorf("%s %#04x: float32 %v (bits %#x), want %v", dt, bits[i], got32[i], math.Float32bits(got32[i]), want[i])
			}
			if !sameFloat(got64[i], want[i]) {
				t.Errorf("%s %#04x: float64 %v, want %v", dt, bits[i], got64[i], want[i])
			}
		}
	}
}

// TestF16Exhaustive checks all 65536 binary16 patterns against an independent
// decoding through math.Ldexp.
func TestF16Exhaustive(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		exp, mant := (h>>10)&0x1f, h&0x3ff
		var want float64
		switch {
		case exp == 0:
			want = sign * math.Ldexp(float64(mant), -24)
		case exp == 31 && mant == 0:
			want = math.Inf(int(sign))
		case exp == 31:
			want = math.NaN()
		default:
			want = sign * math.Ldexp(float64(1024+mant), exp-25)
		}
		got := f16ToF32(uint16(h))
		if !sameFloat(float64(got), want) {
			t.Fatalf("f16 %#04x: got %v, want %v", h, got, want)
		}
		if exp == 31 && mant != 0 && math.Float32bits(got)&0x7fffff != uint32(mant)<<13 {
			t.Errorf("f16 %#04x: NaN payload not kept: %#x", h, math.Float32bits(got))
		}
	}
}

func TestIntDecoding(t *testing.T) {
	cases := []struct {
		dtype DType
		data  []byte
		want  []int64
	}{
		{I8, []byte{0x00, 0x7f, 0x80, 0xff}, []int64{0, 127, -128, -1}},
		{U8, []byte{0x00, 0x7f, 0x80, 0xff}, []int64{0, 127, 128, 255}},
		{I16, le16(0x0001, 0x7fff, 0x8000, 0xffff), []int64{1, 32767, -32768, -1}},
		{I32, []byte{1, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff}, []int64{1, math.MinInt32, -1}},
		{I64, []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []int64{-2}},
	}
	for _, c := range cases {
		n := len(c.want)
		header := `{"x":{"dtype":"` + string(c.dtype) + `","shape":[` + itoa(n) + `],"data_offsets":[0,` + itoa(len(c.data)) + `]}}`
		f, err := Parse(rawFile(header, c.data))
		if err != nil {
			t.Fatalf("%s: %v", c.dtype, err)
		}
		got, err := f.Int64("x")
		if err != nil {
			t.Fatalf("%s: %v", c.dtype, err)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s[%d] = %d, want %d", c.dtype, i, got[i], c.want[i])
			}
		}
		if err := f.ReadFloat32("x", make([]float32, n)); err == nil || !strings.Contains(err.Error(), string(c.dtype)) {
			t.Errorf("%s: ReadFloat32 error = %v, want one naming the dtype", c.dtype, err)
		}
	}
}

func TestF64ToF32Rounds(t *testing.T) {
	v := []float64{1.0 / 3, 1e300, -1e-300, math.Inf(1)}
	var b strings.Builder
	if err := Encode(&b, []Tensor{F64Tensor("x", []int{4}, v)}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Float32("x")
	if err != nil {
		t.Fatal(err)
	}
	for i := range v {
		if want := float32(v[i]); math.Float32bits(got[i]) != math.Float32bits(want) {
			t.Errorf("x[%d] = %v, want %v", i, got[i], want)
		}
	}
}
