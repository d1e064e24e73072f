//go:build cuda || cudaemu

package cuda

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Quantize encodes n float32 values of x into codes (n bytes for q8, n/2
// for q4) and f16 scales (n/group values) in weights/quant's layout; bits
// is 8 or 4. A group that cannot be encoded (NaN, Inf, a scale beyond f16)
// is an error naming its first element.
func (d *Device) Quantize(codes, scales, x *Buffer, n, group, bits int) error {
	if bits != 8 && bits != 4 {
		return fmt.Errorf("cuda: quantize to %d bits (8 or 4)", bits)
	}
	if group <= 0 || n%group != 0 || (bits == 4 && group%2 != 0) {
		return fmt.Errorf("cuda: quantize %d values in groups of %d", n, group)
	}
	codeBytes := n
	if bits == 4 {
		codeBytes = n / 2
	}
	if err := firstErr(need(codes, codeBytes, 1, "quantize codes"), need(scales, n/group, 2, "quantize scales"), needF(x, n, "quantize input")); err != nil {
		return err
	}
	bad, err := d.Alloc(8)
	if err != nil {
		return err
	}
	defer bad.Free()
	var none [8]byte
	binary.LittleEndian.PutUint64(none[:], math.MaxInt64)
	if err := bad.UploadBytes(none[:]); err != nil {
		return err
	}
	if err := d.Launch("xl_quantize", grid1(n/group), Dim{X: block}, codes, scales, bad, x, n, group, bits); err != nil {
		return err
	}
	var got [1]int64
	if err := bad.DownloadInt64(got[:]); err != nil {
		return err
	}
	if got[0] != math.MaxInt64 {
		return fmt.Errorf("cuda: quantize: group at element %d has a NaN/Inf or needs a scale beyond the f16 range", got[0]*int64(group))
	}
	return nil
}

// Dequantize decodes n values from codes and scales into y (float32).
func (d *Device) Dequantize(y, codes, scales *Buffer, n, group, bits int) error {
	if bits != 8 && bits != 4 {
		return fmt.Errorf("cuda: dequantize %d bits (8 or 4)", bits)
	}
	if group <= 0 || n%group != 0 {
		return fmt.Errorf("cuda: dequantize %d values in groups of %d", n, group)
	}
	codeBytes := n
	if bits == 4 {
		codeBytes = (n + 1) / 2
	}
	if err := firstErr(needF(y, n, "dequantize output"), need(codes, codeBytes, 1, "dequantize codes"), need(scales, n/group, 2, "dequantize scales")); err != nil {
		return err
	}
	return d.Launch("xl_dequantize", grid1(n), Dim{X: block}, y, codes, scales, n, group, bits)
}

// Convert changes n values between float32 and the 16-bit formats: from
// "F32" to "F16" or "BF16", or from "F16" or "BF16" to "F32".
func (d *Device) Convert(dst, src *Buffer, from, to string, n int) error {
	var kernel string
	switch from + ">" + to {
	case "F32>F16":
		kernel = "xl_f32_to_f16_k"
	case "F32>BF16":
		kernel = "xl_f32_to_bf16_k"
	case "F16>F32":
		kernel = "xl_f16_to_f32_k"
	case "BF16>F32":
		kernel = "xl_bf16_to_f32_k"
	default:
		return fmt.Errorf("cuda: no conversion from %s to %s", from, to)
	}
	inSize, outSize := int64(4), int64(2)
	if to == "F32" {
		inSize, outSize = 2, 4
	}
	if err := firstErr(need(src, n, inSize, "convert input"), need(dst, n, outSize, "convert output")); err != nil {
		return err
	}
	return d.Launch(kernel, grid1(n), Dim{X: block}, dst, src, n)
}
