// Package safetensors reads and writes the safetensors tensor file format.
//
// A file is an 8-byte little-endian header length N, N bytes of JSON header
// and the data section. The header maps each tensor name to its dtype, shape
// and [begin, end) byte offsets relative to the data section; the optional
// "__metadata__" key maps strings to strings. Tensor data is row-major
// little-endian.
//
// File reads one file (memory-mapped by Open where the platform allows it),
// Set reads the shards of a checkpoint as one, and Encode / WriteFile write
// files. Parsing validates the whole header up front, so that the read
// methods never index out of range, whatever the input.
package safetensors

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// DType names the element type of a tensor, as spelled in the header.
type DType string

// The element types this package understands. Others are rejected on parse.
const (
	F64  DType = "F64"  // IEEE 754 binary64
	F32  DType = "F32"  // IEEE 754 binary32
	F16  DType = "F16"  // IEEE 754 binary16
	BF16 DType = "BF16" // bfloat16: the upper half of a binary32
	I64  DType = "I64"  // signed 64-bit integer
	I32  DType = "I32"  // signed 32-bit integer
	I16  DType = "I16"  // signed 16-bit integer
	I8   DType = "I8"   // signed 8-bit integer
	U8   DType = "U8"   // unsigned 8-bit integer
	BOOL DType = "BOOL" // one byte per element, 0 or 1
)

// Size returns the number of bytes per element, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16, I16:
		return 2
	case I8, U8, BOOL:
		return 1
	}
	return 0
}

// isFloat reports whether d is one of the floating-point dtypes that
// ReadFloat32 and ReadFloat64 convert from.
func (d DType) isFloat() bool {
	return d == F64 || d == F32 || d == F16 || d == BF16
}

// isInt reports whether d is one of the integer dtypes that Int64 converts from.
func (d DType) isInt() bool {
	return d == I64 || d == I32 || d == I16 || d == I8 || d == U8
}

// numElements multiplies the dims with overflow checks, so that a hostile
// shape cannot wrap around to a small (and wrongly validated) count.
func numElements(shape []int64) (int64, bool) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		n = lo
	}
	return int64(n), true
}

// f16ToF32 decodes an IEEE binary16 value exactly: every binary16 value,
// subnormals included, is representable in binary32. NaN payloads are kept.
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign) // ±0
	case exp == 0:
		// Subnormal: mant × 2^-24. Scaling by a power of two is exact
		// because the result is a normal binary32.
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13) // ±Inf or NaN
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// bf16ToF32 decodes a bfloat16 value, which is the upper 16 bits of a binary32.
func bf16ToF32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// decodeFloat32 converts raw little-endian elements of a float dtype into dst;
// len(raw) must be len(dst)*dt.Size(). F64 values are rounded to nearest.
func decodeFloat32(dt DType, raw []byte, dst []float32) {
	le := binary.LittleEndian
	switch dt {
	case F32:
		if !copyNative32(raw, dst) {
			for i := range dst {
				dst[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
			}
		}
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
		}
	case F16:
		for i := range dst {
			dst[i] = f16ToF32(le.Uint16(raw[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = bf16ToF32(le.Uint16(raw[2*i:]))
		}
	}
}

// decodeFloat64 converts raw little-endian elements of a float dtype into dst
// exactly; len(raw) must be len(dst)*dt.Size().
func decodeFloat64(dt DType, raw []byte, dst []float64) {
	le := binary.LittleEndian
	switch dt {
	case F64:
		if !copyNative64(raw, dst) {
			for i := range dst {
				dst[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
			}
		}
	case F32:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(le.Uint32(raw[4*i:])))
		}
	case F16:
		for i := range dst {
			dst[i] = float64(f16ToF32(le.Uint16(raw[2*i:])))
		}
	case BF16:
		for i := range dst {
			dst[i] = float64(bf16ToF32(le.Uint16(raw[2*i:])))
		}
	}
}

// decodeInt64 converts raw little-endian elements of an integer dtype into
// dst; len(raw) must be len(dst)*dt.Size().
func decodeInt64(dt DType, raw []byte, dst []int64) {
	le := binary.LittleEndian
	switch dt {
	case I64:
		for i := range dst {
			dst[i] = int64(le.Uint64(raw[8*i:]))
		}
	case I32:
		for i := range dst {
			dst[i] = int64(int32(le.Uint32(raw[4*i:])))
		}
	case I16:
		for i := range dst {
			dst[i] = int64(int16(le.Uint16(raw[2*i:])))
		}
	case I8:
		for i := range dst {
			dst[i] = int64(int8(raw[i]))
		}
	case U8:
		for i := range dst {
			dst[i] = int64(raw[i])
		}
	}
}
