package webgpu

import (
	"fmt"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

// matrix is a (rows × cols) weight matrix on the device, cut by rows into
// parts that each fit one storage binding (the 7B vocabulary does not).
type matrix struct {
	rows, cols int
	format     string // f32, q8 or q4
	group      int    // q8/q4 values per scale
	parts      []mpart
}

type mpart struct {
	row0, rows int
	wq, ws     *buffer // codes (or f32 bits), scales (a dummy for f32)
}

func (m *matrix) release() {
	if m == nil {
		return
	}
	for _, p := range m.parts {
		p.wq.release()
		p.ws.release()
	}
}

// rowBytes returns the payload bytes of one row of codes and of scales.
func rowBytes(format string, cols, group int) (codes, scales int) {
	switch format {
	case "q8":
		return cols, cols / group * 2
	case "q4":
		return cols / 2, cols / group * 2
	}
	return 4 * cols, 0
}

// newMatrix uploads a matrix given as f32 values or a raw q8/q4 payload
// (codes then f16 scales, weights/quant), splitting it by rows so that no
// part exceeds limit bytes.
func (d *Device) newMatrix(f32 []float32, raw []byte, format string, rows, cols, group int, limit uint64) (*matrix, error) {
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("matrix of %d×%d", rows, cols)
	}
	cb, sb := rowBytes(format, cols, group)
	switch format {
	case "f32":
		if len(f32) != rows*cols {
			return nil, fmt.Errorf("matrix has %d values, want %d×%d", len(f32), rows, cols)
		}
		raw = wgpu.ToBytes(f32)
	case "q8", "q4":
		if group <= 0 || cols%group != 0 || (format == "q4" && cols%2 != 0) {
			return nil, fmt.Errorf("%s matrix %d×%d with group %d", format, rows, cols, group)
		}
		if len(raw) != rows*(cb+sb) {
			return nil, fmt.Errorf("%s payload of %d bytes, want %d", format, len(raw), rows*(cb+sb))
		}
	default:
		return nil, fmt.Errorf("unsupported weight format %q", format)
	}
	per := int(limit / uint64(cb))
	if per < 1 {
		return nil, fmt.Errorf("one row of %d bytes exceeds the device's storage binding limit of %d bytes", cb, limit)
	}
	m := &matrix{rows: rows, cols: cols, format: format, group: group}
	scales := raw[rows*cb:]
	for r0 := 0; r0 < rows; r0 += per {
		n := min(per, rows-r0)
		wq, err := d.upload(raw[r0*cb : (r0+n)*cb])
		if err != nil {
			m.release()
			return nil, err
		}
		var ws *buffer
		if sb > 0 {
			ws, err = d.upload(scales[r0*sb : (r0+n)*sb])
		} else {
			ws, err = d.buffer(16)
		}
		if err != nil {
			wq.release()
			m.release()
			return nil, err
		}
		m.parts = append(m.parts, mpart{row0: r0, rows: n, wq: wq, ws: ws})
	}
	return m, nil
}

// rawSource gives the stored payload of quantised tensors (a bundle).
type rawSource interface {
	Tensor(name string) (bundle.Tensor, bool)
	Raw(name string) ([]byte, error)
}

// quantised returns the q8/q4 payload of rows [r0, r0+rows) of the tensor
// name in src (rows of a fused tensor are sliced out), or format "" when the
// tensor is not stored quantised.
func quantised(src rawSource, name string, r0, rows, cols int) (raw []byte, format string, group int, err error) {
	if src == nil {
		return nil, "", 0, nil
	}
	t, ok := src.Tensor(name)
	if !ok || (t.DType != bundle.Q8 && t.DType != bundle.Q4) || len(t.Shape) != 2 || t.Shape[1] != cols {
		return nil, "", 0, nil
	}
	format = "q8"
	if t.DType == bundle.Q4 {
		format = "q4"
	}
	all, err := src.Raw(name)
	if err != nil {
		return nil, "", 0, fmt.Errorf("read %s: %w", name, err)
	}
	total := t.Shape[0]
	if r0 < 0 || r0+rows > total {
		return nil, "", 0, fmt.Errorf("tensor %s has %d rows, want rows [%d,%d)", name, total, r0, r0+rows)
	}
	cb, sb := rowBytes(format, cols, t.Group)
	if len(all) != total*(cb+sb) {
		return nil, "", 0, fmt.Errorf("tensor %s: payload of %d bytes, want %d", name, len(all), total*(cb+sb))
	}
	if r0 == 0 && rows == total {
		return all, format, t.Group, nil
	}
	out := make([]byte, 0, rows*(cb+sb))
	out = append(out, all[r0*cb:(r0+rows)*cb]...)
	out = append(out, all[total*cb+r0*sb:total*cb+(r0+rows)*sb]...)
	return out, format, t.Group, nil
}
