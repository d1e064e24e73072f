//go:build cuda || cudaemu

package cuda

import (
	"fmt"
)

// block is the thread count of every 1-D launch; the reduction kernels
// require exactly this (XL_BLOCK in xlstm_cuda.h).
const block = 256

func grid1(n int) Dim { return Dim{X: max(1, min(maxGrid, (n+block-1)/block))} }

// need checks that b holds at least n elements of size bytes each.
func need(b *Buffer, n int, size int64, what string) error {
	if b == nil {
		return fmt.Errorf("cuda: %s: nil buffer", what)
	}
	if int64(n)*size > b.bytes {
		return fmt.Errorf("cuda: %s: needs %d bytes, buffer has %d", what, int64(n)*size, b.bytes)
	}
	return nil
}

func needF(b *Buffer, n int, what string) error { return need(b, n, 4, what) }

// optF checks an optional float buffer (nil allowed).
func optF(b *Buffer, n int, what string) error {
	if b == nil {
		return nil
	}
	return needF(b, n, what)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// Add sets y = a + b over n values.
func (d *Device) Add(y, a, b *Buffer, n int) error {
	if err := firstErr(needF(y, n, "add y"), needF(a, n, "add a"), needF(b, n, "add b")); err != nil {
		return err
	}
	return d.Launch("xl_add", grid1(n), Dim{X: block}, y, a, b, n)
}

// Mul sets y = a·b element-wise over n values.
func (d *Device) Mul(y, a, b *Buffer, n int) error {
	if err := firstErr(needF(y, n, "mul y"), needF(a, n, "mul a"), needF(b, n, "mul b")); err != nil {
		return err
	}
	return d.Launch("xl_mul", grid1(n), Dim{X: block}, y, a, b, n)
}

// Axpy adds alpha·x to y over n values.
func (d *Device) Axpy(y, x *Buffer, alpha float64, n int) error {
	if err := firstErr(needF(y, n, "axpy y"), needF(x, n, "axpy x")); err != nil {
		return err
	}
	return d.Launch("xl_axpy", grid1(n), Dim{X: block}, y, x, alpha, n)
}

// Scale sets y = alpha·x over n values (y may be x).
func (d *Device) Scale(y, x *Buffer, alpha float64, n int) error {
	if err := firstErr(needF(y, n, "scale y"), needF(x, n, "scale x")); err != nil {
		return err
	}
	return d.Launch("xl_scale", grid1(n), Dim{X: block}, y, x, alpha, n)
}

// Fill sets n values of y to v.
func (d *Device) Fill(y *Buffer, v float64, n int) error {
	if err := needF(y, n, "fill"); err != nil {
		return err
	}
	return d.Launch("xl_fill", grid1(n), Dim{X: block}, y, v, n)
}

// AddBias adds b (cols) to every row of y (rows × cols).
func (d *Device) AddBias(y, b *Buffer, rows, cols int) error {
	if err := firstErr(needF(y, rows*cols, "bias y"), needF(b, cols, "bias b")); err != nil {
		return err
	}
	return d.Launch("xl_add_bias", grid1(rows*cols), Dim{X: block}, y, b, rows, cols)
}

// BiasGrad sets db (cols) to the column sums of dy (rows × cols).
func (d *Device) BiasGrad(db, dy *Buffer, rows, cols int) error {
	if err := firstErr(needF(db, cols, "bias grad db"), needF(dy, rows*cols, "bias grad dy")); err != nil {
		return err
	}
	return d.Launch("xl_bias_grad", grid1(cols), Dim{X: block}, db, dy, rows, cols)
}

// Act selects an element-wise function for Activate and the gated units.
type Act int

// The activations (xl_act in elementwise.cu).
const (
	ActIdentity Act = iota
	ActSiLU
	ActSigmoid
	ActGELU // the exact erf form
	ActReLU
	ActReLU2
	ActTanh
	ActExp
)

// ActByName maps the config's FFN activation names to Act.
func ActByName(name string) (Act, error) {
	switch name {
	case "swish", "silu":
		return ActSiLU, nil
	case "sigmoid":
		return ActSigmoid, nil
	case "gelu":
		return ActGELU, nil
	case "relu":
		return ActReLU, nil
	case "relu^2":
		return ActReLU2, nil
	}
	return 0, fmt.Errorf("cuda: activation %q has no kernel", name)
}

// Activate sets y = act(x) over n values.
func (d *Device) Activate(y, x *Buffer, act Act, n int) error {
	if err := firstErr(needF(y, n, "act y"), needF(x, n, "act x")); err != nil {
		return err
	}
	return d.Launch("xl_act_fwd", grid1(n), Dim{X: block}, y, x, int(act), n)
}

// ActivateGrad sets dx = dy·act'(x) over n values.
func (d *Device) ActivateGrad(dx, x, dy *Buffer, act Act, n int) error {
	if err := firstErr(needF(dx, n, "act grad dx"), needF(x, n, "act grad x"), needF(dy, n, "act grad dy")); err != nil {
		return err
	}
	return d.Launch("xl_act_bwd", grid1(n), Dim{X: block}, dx, x, dy, int(act), n)
}

// GLU sets y (rows × p) = act(gu[:, :p])·gu[:, p:] for gu (rows × 2p).
func (d *Device) GLU(y, gu *Buffer, act Act, rows, p int) error {
	if err := firstErr(needF(y, rows*p, "glu y"), needF(gu, rows*2*p, "glu input")); err != nil {
		return err
	}
	return d.Launch("xl_glu_fwd", grid1(rows*p), Dim{X: block}, y, gu, int(act), rows, p)
}

// GLUGrad writes the gradient of GLU into dgu (rows × 2p).
func (d *Device) GLUGrad(dgu, gu, dy *Buffer, act Act, rows, p int) error {
	if err := firstErr(needF(dgu, rows*2*p, "glu grad dgu"), needF(gu, rows*2*p, "glu grad input"), needF(dy, rows*p, "glu grad dy")); err != nil {
		return err
	}
	return d.Launch("xl_glu_bwd", grid1(rows*p), Dim{X: block}, dgu, gu, dy, int(act), rows, p)
}

// Embed gathers rows of table (vocab × dim) for int32 tokens (rows).
func (d *Device) Embed(y, table, tokens *Buffer, rows, dim, vocab int) error {
	if err := firstErr(needF(y, rows*dim, "embed y"), needF(table, vocab*dim, "embed table"), need(tokens, rows, 4, "embed tokens")); err != nil {
		return err
	}
	return d.Launch("xl_embed", grid1(rows*dim), Dim{X: block}, y, table, tokens, rows, dim, vocab)
}

// EmbedGrad adds dy's rows into dtable at their tokens (zero dtable first).
func (d *Device) EmbedGrad(dtable, dy, tokens *Buffer, rows, dim, vocab int) error {
	if err := firstErr(needF(dtable, vocab*dim, "embed grad table"), needF(dy, rows*dim, "embed grad dy"), need(tokens, rows, 4, "embed grad tokens")); err != nil {
		return err
	}
	return d.Launch("xl_embed_bwd", grid1(dim), Dim{X: block}, dtable, dy, tokens, rows, dim, vocab)
}

// Softcap sets y = c·tanh(x/c) (c ≤ 0: y = x) over n values.
func (d *Device) Softcap(y, x *Buffer, c float64, n int) error {
	if err := firstErr(needF(y, n, "softcap y"), needF(x, n, "softcap x")); err != nil {
		return err
	}
	return d.Launch("xl_softcap_fwd", grid1(n), Dim{X: block}, y, x, c, n)
}

// SoftcapGrad sets dx = dy·(1 − tanh²(x/c)).
func (d *Device) SoftcapGrad(dx, x, dy *Buffer, c float64, n int) error {
	if err := firstErr(needF(dx, n, "softcap grad dx"), needF(x, n, "softcap grad x"), needF(dy, n, "softcap grad dy")); err != nil {
		return err
	}
	return d.Launch("xl_softcap_bwd", grid1(n), Dim{X: block}, dx, x, dy, c, n)
}

// SigmoidGate sets y = h·σ(o) (xLSTM Large's output gate).
func (d *Device) SigmoidGate(y, h, o *Buffer, n int) error {
	if err := firstErr(needF(y, n, "gate y"), needF(h, n, "gate h"), needF(o, n, "gate o")); err != nil {
		return err
	}
	return d.Launch("xl_sigmoid_gate_fwd", grid1(n), Dim{X: block}, y, h, o, n)
}

// SigmoidGateGrad writes dh and do of SigmoidGate.
func (d *Device) SigmoidGateGrad(dh, do, h, o, dy *Buffer, n int) error {
	if err := firstErr(needF(dh, n, "gate grad dh"), needF(do, n, "gate grad do"), needF(h, n, "gate grad h"), needF(o, n, "gate grad o"), needF(dy, n, "gate grad dy")); err != nil {
		return err
	}
	return d.Launch("xl_sigmoid_gate_bwd", grid1(n), Dim{X: block}, dh, do, h, o, dy, n)
}
