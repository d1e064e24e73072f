package safetensors

import (
	"encoding/binary"
	"unsafe"
)

// littleEndianHost reports whether the machine stores integers little-endian,
// in which case F32/F64 data can be copied without per-element decoding (the
// common case, and the one that matters when loading billions of weights).
func littleEndianHost() bool {
	return binary.NativeEndian.Uint16([]byte{1, 0}) == 1
}

// copyNative32 copies raw into dst as bytes when the host is little-endian;
// it reports false (doing nothing) otherwise. len(raw) must be 4*len(dst).
func copyNative32(raw []byte, dst []float32) bool {
	if !littleEndianHost() {
		return false
	}
	if len(dst) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*len(dst)), raw)
	}
	return true
}

// copyNative64 is copyNative32 for float64; len(raw) must be 8*len(dst).
func copyNative64(raw []byte, dst []float64) bool {
	if !littleEndianHost() {
		return false
	}
	if len(dst) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 8*len(dst)), raw)
	}
	return true
}
