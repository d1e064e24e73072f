// Package quant holds the number formats of weight bundles: IEEE binary16
// (f16) and bfloat16 conversions, and the symmetric group-wise q8 and q4
// formats with f16 scales, with their packing and (reference) dequantising
// loops.
//
// A quantised tensor is a flat run of elements cut into groups of G
// consecutive values (G divides the last, input dimension, so a group never
// crosses a row). Each group has one scale s = maxabs/Qmax, rounded to f16,
// and integer codes q = round(x/s) (to nearest, ties to even) clamped to
// [-Qmax, Qmax]; x ≈ q·s. Qmax is
// 127 for q8 and 7 for q4 (the code -8 is never written). The payload is all
// codes, then all scales:
//
//	q8: n int8 codes (n bytes), then n/G f16 scales (little-endian)
//	q4: n/2 bytes, element 2k in the low nibble and 2k+1 in the high nibble
//	    of byte k (4-bit two's complement), then n/G f16 scales
//
// Keeping codes and scales in two arrays makes row ranges cheap to address
// and suits GPU upload.
package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

// F16ToF32 converts an IEEE 754 binary16 value (as bits) to float32 exactly.
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	case man == 0: // ±0
		return math.Float32frombits(sign)
	}
	// Subnormal: value = man · 2^-24.
	f := float32(man) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}

// F32ToF16 converts a float32 to binary16 bits, rounding to nearest even;
// values beyond the f16 range become ±Inf and NaN stays NaN.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff { // Inf or NaN
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	switch {
	case e >= 0x1f: // overflow
		return sign | 0x7c00
	case e <= 0: // subnormal or zero in f16
		if e < -10 {
			return sign
		}
		man |= 0x800000 // implicit bit
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		rest := man & (1<<shift - 1)
		out := man >> shift
		if rest > half || (rest == half && out&1 == 1) {
			out++
		}
		return sign | uint16(out)
	}
	out := uint32(e)<<10 | man>>13
	rest := man & 0x1fff
	if rest > 0x1000 || (rest == 0x1000 && out&1 == 1) {
		out++ // may carry into the exponent, which is still correct (up to Inf)
	}
	return sign | uint16(out)
}

// BF16ToF32 converts bfloat16 bits to float32 exactly.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 converts a float32 to bfloat16 bits, rounding to nearest even;
// NaN stays NaN.
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it quiet, never round to Inf
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// DecodeFloat32 converts little-endian elements of dtype ("F32", "F16",
// "BF16" or "F64") from raw into dst; raw must hold exactly len(dst)
// elements.
func DecodeFloat32(dtype string, raw []byte, dst []float32) error {
	size := ElemSize(dtype)
	if size == 0 {
		return fmt.Errorf("dtype %s is not a float type", dtype)
	}
	if len(raw) != len(dst)*size {
		return fmt.Errorf("decode %s: %d bytes for %d elements", dtype, len(raw), len(dst))
	}
	switch dtype {
	case "F32":
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case "F16":
		for i := range dst {
			dst[i] = F16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case "BF16":
		raw = raw[:2*len(dst)]
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(raw[2*i])<<16 | uint32(raw[2*i+1])<<24)
		}
	case "F64":
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	}
	return nil
}

// EncodeFloat32 writes src as little-endian elements of dtype ("F32", "F16",
// "BF16" or "F64") into dst, which must hold exactly len(src) elements.
func EncodeFloat32(dtype string, src []float32, dst []byte) error {
	size := ElemSize(dtype)
	if size == 0 {
		return fmt.Errorf("dtype %s is not a float type", dtype)
	}
	if len(dst) != len(src)*size {
		return fmt.Errorf("encode %s: %d bytes for %d elements", dtype, len(dst), len(src))
	}
	switch dtype {
	case "F32":
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case "F16":
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], F32ToF16(v))
		}
	case "BF16":
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(v))
		}
	case "F64":
		for i, v := range src {
			binary.LittleEndian.PutUint64(dst[8*i:], math.Float64bits(float64(v)))
		}
	}
	return nil
}

// ElemSize returns the bytes per element of a float dtype ("F64", "F32",
// "F16", "BF16"), or 0 for any other name.
func ElemSize(dtype string) int {
	switch dtype {
	case "F64":
		return 8
	case "F32":
		return 4
	case "F16", "BF16":
		return 2
	}
	return 0
}
