package quant

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Kind is a quantised format.
type Kind uint8

const (
	// Q8 stores int8 codes in [-127, 127], one byte per value.
	Q8 Kind = iota + 1
	// Q4 stores 4-bit codes in [-7, 7], two values per byte.
	Q4
)

// maxF16 is the largest finite binary16 value; a scale must not exceed it.
const maxF16 = 65504

// ParseKind maps a dtype name ("Q8" or "Q4", any case) to its Kind.
func ParseKind(s string) (Kind, bool) {
	switch s {
	case "Q8", "q8":
		return Q8, true
	case "Q4", "q4":
		return Q4, true
	}
	return 0, false
}

// String returns the dtype name used in manifests: "Q8" or "Q4".
func (k Kind) String() string {
	switch k {
	case Q8:
		return "Q8"
	case Q4:
		return "Q4"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// qmax is the largest code magnitude (as float32).
func (k Kind) qmax() float32 {
	if k == Q4 {
		return 7
	}
	return 127
}

// CodeBytes returns the bytes taken by the codes of n values (n even for Q4).
func (k Kind) CodeBytes(n int) int {
	if k == Q4 {
		return n / 2
	}
	return n
}

// Size returns the payload size of n values in groups of group: the codes
// followed by the f16 scales.
func (k Kind) Size(n, group int) int {
	return k.CodeBytes(n) + 2*(n/group)
}

// CheckGroup reports whether n values can be quantised in groups of group:
// group ≥ 1 (even for Q4) and n a multiple of group.
func (k Kind) CheckGroup(n, group int) error {
	switch {
	case k != Q8 && k != Q4:
		return fmt.Errorf("unknown quantisation kind %d", uint8(k))
	case group < 1:
		return fmt.Errorf("group size %d: must be positive", group)
	case k == Q4 && group%2 != 0:
		return fmt.Errorf("group size %d: must be even for Q4", group)
	case n < 0 || n%group != 0:
		return fmt.Errorf("%d values are not a whole number of groups of %d", n, group)
	}
	return nil
}

// Quantize encodes src into codes (k.CodeBytes(len(src)) bytes) and scales
// (2·len(src)/group bytes of little-endian f16). A NaN or infinite value, or
// a group whose scale would overflow f16, is an error naming the element.
func Quantize(k Kind, src []float32, group int, codes, scales []byte) error {
	if err := k.CheckGroup(len(src), group); err != nil {
		return err
	}
	if len(codes) != k.CodeBytes(len(src)) || len(scales) != 2*(len(src)/group) {
		return errors.New("quantize: output buffers have the wrong size")
	}
	qmax := k.qmax()
	for g := 0; g*group < len(src); g++ {
		x := src[g*group : (g+1)*group]
		// For non-negative floats the bit patterns order like the values,
		// so the largest |x| is the largest masked bit pattern; NaN and
		// Inf have patterns from 0x7f800000 up.
		var amaxBits uint32
		for _, v := range x {
			amaxBits = max(amaxBits, math.Float32bits(v)&0x7fffffff)
		}
		if amaxBits >= 0x7f800000 {
			for i, v := range x {
				if math.Float32bits(v)&0x7fffffff >= 0x7f800000 {
					return fmt.Errorf("quantize: element %d is %v", g*group+i, v)
				}
			}
		}
		amax := math.Float32frombits(amaxBits)
		if amax/qmax > maxF16 {
			return fmt.Errorf("quantize: group at element %d: max |x| = %g needs a scale beyond the f16 range", g*group, amax)
		}
		sBits := F32ToF16(amax / qmax)
		binary.LittleEndian.PutUint16(scales[2*g:], sBits)
		s := F16ToF32(sBits)
		var inv float32
		if s != 0 {
			inv = 1 / s
		}
		if k == Q8 {
			out := codes[g*group : (g+1)*group]
			out = out[:len(x)]
			for i, v := range x {
				out[i] = byte(code(v*inv, 127))
			}
			continue
		}
		out := codes[g*group/2 : (g+1)*group/2]
		x = x[:2*len(out)]
		for i := range out {
			lo := code(x[2*i]*inv, 7)
			hi := code(x[2*i+1]*inv, 7)
			out[i] = byte(lo)&0x0f | byte(hi)<<4
		}
	}
	return nil
}

// roundMagic is 1.5·2^23: adding and subtracting it rounds a float32 of
// magnitude below 2^22 to the nearest integer (ties to even).
const roundMagic = 12582912

// code rounds v to the nearest integer and clamps it to [-qmax, qmax].
// |v| must be below 2^22, which holds for v = x/s with s ≥ max|x|/qmax
// rounded to f16 (|v| ≤ 2·qmax even for subnormal scales).
func code(v float32, qmax int32) int8 {
	q := int32((float32(v) + roundMagic) - roundMagic) // float32(): no FMA fusion
	if q > qmax {
		q = qmax
	} else if q < -qmax {
		q = -qmax
	}
	return int8(q)
}

// Dequantize decodes len(dst) values (a multiple of group) from codes and
// scales laid out as Quantize writes them.
func Dequantize(k Kind, codes, scales []byte, group int, dst []float32) error {
	n := len(dst)
	if err := k.CheckGroup(n, group); err != nil {
		return err
	}
	if len(codes) != k.CodeBytes(n) || len(scales) != 2*(n/group) {
		return fmt.Errorf("dequantize: %d code bytes and %d scale bytes for %d values in groups of %d", len(codes), len(scales), n, group)
	}
	for g := 0; g*group < n; g++ {
		s := F16ToF32(binary.LittleEndian.Uint16(scales[2*g:]))
		out := dst[g*group : (g+1)*group]
		if k == Q8 {
			for i, c := range codes[g*group : (g+1)*group] {
				out[i] = float32(int8(c)) * s
			}
			continue
		}
		for i, c := range codes[g*group/2 : (g+1)*group/2] {
			out[2*i] = float32(int8(c<<4)>>4) * s
			out[2*i+1] = float32(int8(c)>>4) * s
		}
	}
	return nil
}

// Split returns the codes and scales of the values [off, off+n) of a
// payload holding total values; off and n must be multiples of group.
func Split(k Kind, payload []byte, total, group, off, n int) (codes, scales []byte, err error) {
	if err := k.CheckGroup(total, group); err != nil {
		return nil, nil, err
	}
	if len(payload) != k.Size(total, group) {
		return nil, nil, fmt.Errorf("payload has %d bytes, want %d", len(payload), k.Size(total, group))
	}
	if off < 0 || n < 0 || off%group != 0 || n%group != 0 || off+n > total {
		return nil, nil, fmt.Errorf("range [%d,%d) of %d values is not whole groups of %d", off, off+n, total, group)
	}
	cb := k.CodeBytes(total)
	codes = payload[k.CodeBytes(off):k.CodeBytes(off+n)]
	scales = payload[cb+2*(off/group) : cb+2*((off+n)/group)]
	return codes, scales, nil
}
