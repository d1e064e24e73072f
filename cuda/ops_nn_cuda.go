//go:build cuda || cudaemu

package cuda

import "fmt"

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// LayerNorm normalises each cols-long row of x (rows of them) into y:
// (x − mean)·rstd·scale, with scale w[(r mod groups)·cols + c] (1 + w when
// offset; 1 when w is nil). groups = 1 is a plain layer norm; a
// multi-head group norm over positions of NH heads is rows = positions·NH,
// cols = DH, groups = NH. mean and rstd (rows) may be nil; the backward
// needs them.
func (d *Device) LayerNorm(y, mean, rstd, x, w *Buffer, rows, cols, groups int, offset bool, eps float64) error {
	if groups < 1 {
		return fmt.Errorf("cuda: layer norm: %d groups", groups)
	}
	if err := firstErr(needF(y, rows*cols, "layernorm y"), needF(x, rows*cols, "layernorm x"), optF(w, groups*cols, "layernorm w"),
		optF(mean, rows, "layernorm mean"), optF(rstd, rows, "layernorm rstd")); err != nil {
		return err
	}
	return d.Launch("xl_layernorm_fwd", Dim{X: min(rows, maxGrid)}, Dim{X: block}, y, mean, rstd, x, w, rows, cols, groups, b2i(offset), eps)
}

// LayerNormGrad writes dx of LayerNorm from the saved mean and rstd.
func (d *Device) LayerNormGrad(dx, x, w, mean, rstd, dy *Buffer, rows, cols, groups int, offset bool) error {
	if err := firstErr(needF(dx, rows*cols, "layernorm grad dx"), needF(x, rows*cols, "layernorm grad x"), optF(w, groups*cols, "layernorm grad w"),
		needF(mean, rows, "layernorm grad mean"), needF(rstd, rows, "layernorm grad rstd"), needF(dy, rows*cols, "layernorm grad dy")); err != nil {
		return err
	}
	return d.Launch("xl_layernorm_bwd", Dim{X: min(rows, maxGrid)}, Dim{X: block}, dx, x, w, mean, rstd, dy, rows, cols, groups, b2i(offset))
}

// LayerNormWeightGrad writes dw (groups × cols) of LayerNorm.
func (d *Device) LayerNormWeightGrad(dw, x, mean, rstd, dy *Buffer, rows, cols, groups int) error {
	if err := firstErr(needF(dw, groups*cols, "layernorm dw"), needF(x, rows*cols, "layernorm dw x"), needF(mean, rows, "layernorm dw mean"),
		needF(rstd, rows, "layernorm dw rstd"), needF(dy, rows*cols, "layernorm dw dy")); err != nil {
		return err
	}
	return d.Launch("xl_layernorm_bwd_w", grid1(groups*cols), Dim{X: block}, dw, x, mean, rstd, dy, rows, cols, groups)
}

// RMSNorm sets y = x·rsqrt(mean(x²) + eps)·w per cols-long row; rstd
// (rows) may be nil.
func (d *Device) RMSNorm(y, rstd, x, w *Buffer, rows, cols int, eps float64) error {
	if err := firstErr(needF(y, rows*cols, "rmsnorm y"), needF(x, rows*cols, "rmsnorm x"), optF(w, cols, "rmsnorm w"), optF(rstd, rows, "rmsnorm rstd")); err != nil {
		return err
	}
	return d.Launch("xl_rmsnorm_fwd", Dim{X: min(rows, maxGrid)}, Dim{X: block}, y, rstd, x, w, rows, cols, eps)
}

// RMSNormGrad writes dx of RMSNorm.
func (d *Device) RMSNormGrad(dx, x, w, rstd, dy *Buffer, rows, cols int) error {
	if err := firstErr(needF(dx, rows*cols, "rmsnorm grad dx"), needF(x, rows*cols, "rmsnorm grad x"), optF(w, cols, "rmsnorm grad w"),
		needF(rstd, rows, "rmsnorm grad rstd"), needF(dy, rows*cols, "rmsnorm grad dy")); err != nil {
		return err
	}
	return d.Launch("xl_rmsnorm_bwd", Dim{X: min(rows, maxGrid)}, Dim{X: block}, dx, x, w, rstd, dy, rows, cols)
}

// RMSNormWeightGrad writes dw (cols) of RMSNorm.
func (d *Device) RMSNormWeightGrad(dw, x, rstd, dy *Buffer, rows, cols int) error {
	if err := firstErr(needF(dw, cols, "rmsnorm dw"), needF(x, rows*cols, "rmsnorm dw x"), needF(rstd, rows, "rmsnorm dw rstd"), needF(dy, rows*cols, "rmsnorm dw dy")); err != nil {
		return err
	}
	return d.Launch("xl_rmsnorm_bwd_w", grid1(cols), Dim{X: block}, dw, x, rstd, dy, rows, cols)
}

// Gemm is one (batched) matrix product C = alpha·op(A)·op(B) + beta·C; see
// matmul.cu. Zero leading dimensions default to the dense ones; batch
// strides are in elements.
type Gemm struct {
	M, N, K          int
	TransA, TransB   bool
	LDA, LDB, LDC    int
	Batch            int
	StrideA, StrideB int
	StrideC          int
	Alpha, Beta      float64
}

// MatMul runs g on a, b, c.
func (d *Device) MatMul(c, a, b *Buffer, g Gemm) error {
	if g.M <= 0 || g.N <= 0 || g.K <= 0 {
		return fmt.Errorf("cuda: gemm of %d×%d×%d", g.M, g.N, g.K)
	}
	lda, ldb, ldc := g.LDA, g.LDB, g.LDC
	if lda == 0 {
		lda = g.K
		if g.TransA {
			lda = g.M
		}
	}
	if ldb == 0 {
		ldb = g.N
		if g.TransB {
			ldb = g.K
		}
	}
	if ldc == 0 {
		ldc = g.N
	}
	batch := max(g.Batch, 1)
	rowsA, rowsB := g.M, g.K
	if g.TransA {
		rowsA = g.K
	}
	if g.TransB {
		rowsB = g.N
	}
	if err := firstErr(needF(a, (batch-1)*g.StrideA+rowsA*lda, "gemm A"), needF(b, (batch-1)*g.StrideB+rowsB*ldb, "gemm B"),
		needF(c, (batch-1)*g.StrideC+g.M*ldc, "gemm C")); err != nil {
		return err
	}
	grid := Dim{X: (g.N + 63) / 64, Y: (g.M + 63) / 64, Z: batch}
	if grid.Y > 65535 || grid.Z > 65535 {
		return fmt.Errorf("cuda: gemm grid %v too large", grid)
	}
	return d.Launch("xl_gemm", grid, Dim{X: 16, Y: 16}, c, a, b, g.M, g.N, g.K, b2i(g.TransA), b2i(g.TransB),
		lda, ldb, ldc, g.StrideA, g.StrideB, g.StrideC, g.Alpha, g.Beta)
}

// Linear sets y (rows × out) = x (rows × in) · Wᵀ for a torch Linear weight
// W (out × in), plus bias when non-nil.
func (d *Device) Linear(y, x, w, bias *Buffer, rows, in, out int) error {
	if err := d.MatMul(y, x, w, Gemm{M: rows, N: out, K: in, TransB: true, Alpha: 1}); err != nil {
		return err
	}
	if bias != nil {
		return d.AddBias(y, bias, rows, out)
	}
	return nil
}

// Conv is the causal depthwise convolution over (batch·seq × ch) rows; x
// rows have stride xstride (0: ch), weights (ch × k), bias (ch) or nil.
func (d *Device) Conv(y, x, w, bias *Buffer, batch, seq, ch, k, xstride int) error {
	if xstride == 0 {
		xstride = ch
	}
	if err := firstErr(needF(y, batch*seq*ch, "conv y"), needF(x, (batch*seq-1)*xstride+ch, "conv x"), needF(w, ch*k, "conv w"), optF(bias, ch, "conv bias")); err != nil {
		return err
	}
	return d.Launch("xl_conv_fwd", grid1(batch*seq*ch), Dim{X: block}, y, x, w, bias, batch, seq, ch, k, xstride)
}

// ConvGradX writes dx (dense) of Conv.
func (d *Device) ConvGradX(dx, dy, w *Buffer, batch, seq, ch, k int) error {
	if err := firstErr(needF(dx, batch*seq*ch, "conv grad dx"), needF(dy, batch*seq*ch, "conv grad dy"), needF(w, ch*k, "conv grad w")); err != nil {
		return err
	}
	return d.Launch("xl_conv_bwd_x", grid1(batch*seq*ch), Dim{X: block}, dx, dy, w, batch, seq, ch, k)
}

// ConvGradW writes dw (ch × k) and db (ch, or nil) of Conv.
func (d *Device) ConvGradW(dw, db, x, dy *Buffer, batch, seq, ch, k, xstride int) error {
	if xstride == 0 {
		xstride = ch
	}
	if err := firstErr(needF(dw, ch*k, "conv dw"), optF(db, ch, "conv db"), needF(x, (batch*seq-1)*xstride+ch, "conv dw x"), needF(dy, batch*seq*ch, "conv dw dy")); err != nil {
		return err
	}
	return d.Launch("xl_conv_bwd_w", grid1(ch*k), Dim{X: block}, dw, db, x, dy, batch, seq, ch, k, xstride)
}

// CrossEntropy writes loss (rows) = logsumexp(x_r) − x_r[target] for int32
// targets (negative: masked, 0) and, when dx is non-nil, dx =
// (softmax − onehot)·scale.
func (d *Device) CrossEntropy(loss, dx, x, targets *Buffer, rows, vocab int, scale float64) error {
	if err := firstErr(needF(loss, rows, "xent loss"), optF(dx, rows*vocab, "xent dx"), needF(x, rows*vocab, "xent logits"), need(targets, rows, 4, "xent targets")); err != nil {
		return err
	}
	return d.Launch("xl_xent", Dim{X: min(rows, maxGrid)}, Dim{X: block}, loss, dx, x, targets, rows, vocab, scale)
}
