//go:build cuda || cudaemu

package cuda

import "fmt"

// MLSTMShape describes an mLSTM cell launch (see mlstm.cu for the layouts).
// Strides are row strides in elements (0: dense, i.e. NH·DK for q and k,
// NH·DV for v and h, NH for the gates).
type MLSTMShape struct {
	Batch, Seq, Heads, DK, DV int
	Chunk                     int // ≤ 64
	QStride, KStride          int
	VStride, HStride          int
	GStride                   int
	QScale, KScale, Eps       float64
}

func (s *MLSTMShape) fill() error {
	if s.Batch <= 0 || s.Seq <= 0 || s.Heads <= 0 || s.DK <= 0 || s.DV <= 0 {
		return fmt.Errorf("cuda: mlstm shape %+v", *s)
	}
	if s.DK > 1024 || s.DV > 1024 {
		return fmt.Errorf("cuda: mlstm head dims %d, %d (max 1024)", s.DK, s.DV)
	}
	if s.Chunk <= 0 || s.Chunk > 64 {
		return fmt.Errorf("cuda: mlstm chunk %d (1 to 64)", s.Chunk)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&s.QStride, s.Heads*s.DK)
	def(&s.KStride, s.Heads*s.DK)
	def(&s.VStride, s.Heads*s.DV)
	def(&s.HStride, s.Heads*s.DV)
	def(&s.GStride, s.Heads)
	return nil
}

// MLSTMTensors are the cell's device tensors. C (B, NH, DK, DV), N (B, NH,
// DK), M (B, NH) are the memory, updated in place (zero for a fresh
// sequence). MRow and QNRow (B, NH, S) are saved for the backward; nil
// skips them.
type MLSTMTensors struct {
	Q, K, V, I, F, H *Buffer
	C, N, M          *Buffer
	MRow, QNRow      *Buffer
}

func (s *MLSTMShape) rows() int { return s.Batch * s.Seq }

func (s *MLSTMShape) check(t *MLSTMTensors) error {
	r := s.rows()
	return firstErr(
		needF(t.Q, (r-1)*s.QStride+s.Heads*s.DK, "mlstm q"), needF(t.K, (r-1)*s.KStride+s.Heads*s.DK, "mlstm k"),
		needF(t.V, (r-1)*s.VStride+s.Heads*s.DV, "mlstm v"), needF(t.H, (r-1)*s.HStride+s.Heads*s.DV, "mlstm h"),
		needF(t.I, (r-1)*s.GStride+s.Heads, "mlstm ĩ"), needF(t.F, (r-1)*s.GStride+s.Heads, "mlstm f̃"),
	)
}

// MLSTMForward runs the chunkwise cell: H from Q, K, V, I, F and the memory.
func (d *Device) MLSTMForward(s MLSTMShape, t MLSTMTensors) error {
	if err := s.fill(); err != nil {
		return err
	}
	bh := s.Batch * s.Heads
	if err := firstErr(s.check(&t), needF(t.C, bh*s.DK*s.DV, "mlstm C"), needF(t.N, bh*s.DK, "mlstm n"), needF(t.M, bh, "mlstm m"),
		optF(t.MRow, bh*s.Seq, "mlstm m rows"), optF(t.QNRow, bh*s.Seq, "mlstm qn rows")); err != nil {
		return err
	}
	return d.Launch("xl_mlstm_fwd", Dim{X: min(bh, maxGrid)}, Dim{X: block}, t.H, t.C, t.N, t.M, t.MRow, t.QNRow,
		t.Q, t.K, t.V, t.I, t.F, s.Batch, s.Seq, s.Heads, s.DK, s.DV, s.Chunk,
		s.QStride, s.KStride, s.VStride, s.HStride, s.GStride, s.QScale, s.KScale, s.Eps)
}

// MLSTMGrads receives the cell's input gradients, in the layouts of the
// corresponding inputs (same strides).
type MLSTMGrads struct {
	DQ, DK, DV, DI, DF *Buffer
}

// MLSTMBackward computes the gradients of a forward that started from a
// zero memory, given the forward's H, MRow and QNRow (t) and dH. It
// allocates and frees its (B·NH·S) scratch arrays.
func (d *Device) MLSTMBackward(s MLSTMShape, t MLSTMTensors, dH *Buffer, g MLSTMGrads) error {
	if err := s.fill(); err != nil {
		return err
	}
	bh, r := s.Batch*s.Heads, s.rows()
	if err := firstErr(s.check(&t), needF(t.MRow, bh*s.Seq, "mlstm m rows"), needF(t.QNRow, bh*s.Seq, "mlstm qn rows"),
		needF(dH, (r-1)*s.HStride+s.Heads*s.DV, "mlstm dh"),
		needF(g.DQ, (r-1)*s.QStride+s.Heads*s.DK, "mlstm dq"), needF(g.DK, (r-1)*s.KStride+s.Heads*s.DK, "mlstm dk"),
		needF(g.DV, (r-1)*s.VStride+s.Heads*s.DV, "mlstm dv"), needF(g.DI, (r-1)*s.GStride+s.Heads, "mlstm dĩ"),
		needF(g.DF, (r-1)*s.GStride+s.Heads, "mlstm df̃")); err != nil {
		return err
	}
	n := bh * s.Seq
	var scratch [8]*Buffer
	defer func() {
		for _, b := range scratch {
			b.Free()
		}
	}()
	for i := range scratch {
		b, err := d.Floats(n)
		if err != nil {
			return err
		}
		scratch[i] = b
	}
	fcum, dqn, dmd, rowF, jstar, dmt, di := scratch[0], scratch[1], scratch[2], scratch[3], scratch[4], scratch[5], scratch[6]
	if err := d.Launch("xl_mlstm_bwd_prep", Dim{X: min(bh, maxGrid)}, Dim{X: block}, fcum, dqn, dmd, t.H, dH, t.MRow, t.QNRow, t.F,
		s.Batch, s.Seq, s.Heads, s.DV, s.HStride, s.GStride, s.Eps); err != nil {
		return err
	}
	if err := d.Launch("xl_mlstm_bwd_rows", Dim{X: min(n, maxGrid)}, Dim{X: block}, g.DQ, rowF, jstar, dmt, t.Q, t.K, t.V, t.I, dH,
		fcum, dqn, dmd, t.MRow, t.QNRow, s.Batch, s.Seq, s.Heads, s.DK, s.DV,
		s.QStride, s.KStride, s.VStride, s.HStride, s.GStride, s.QScale, s.KScale, s.Eps); err != nil {
		return err
	}
	if err := d.Launch("xl_mlstm_bwd_cols", Dim{X: min(n, maxGrid)}, Dim{X: block}, g.DK, g.DV, di, t.Q, t.K, t.V, t.I, dH,
		fcum, dqn, jstar, dmt, t.MRow, t.QNRow, s.Batch, s.Seq, s.Heads, s.DK, s.DV,
		s.QStride, s.KStride, s.VStride, s.HStride, s.GStride, s.QScale, s.KScale, s.Eps); err != nil {
		return err
	}
	if err := d.Launch("xl_mlstm_bwd_gates", grid1(bh), Dim{X: block}, g.DI, g.DF, t.F, rowF, di, s.Batch, s.Seq, s.Heads, s.GStride); err != nil {
		return err
	}
	return d.Sync() // the scratch is freed on return
}

// SLSTMShape describes an sLSTM cell launch: H = Heads·DH units, DH ≤ 256.
type SLSTMShape struct {
	Batch, Seq, Heads, DH int
}

func (s SLSTMShape) check() error {
	if s.Batch <= 0 || s.Seq <= 0 || s.Heads <= 0 || s.DH <= 0 || s.DH > 256 {
		return fmt.Errorf("cuda: slstm shape %+v (DH 1 to 256)", s)
	}
	return nil
}

// SLSTMTensors are the sLSTM cell's device tensors: WX (B·S, 4H) gate-major
// [i, f, z, o], R (NH, 4DH, DH), Bias (4H), Y (B·S, H); the state C, N, M,
// YS (B, H) is updated in place; Raw (B·S, 4H) and CS, NS, MS (B·S, H) are
// saved for the backward (nil skips them).
type SLSTMTensors struct {
	WX, R, Bias, Y  *Buffer
	C, N, M, YS     *Buffer
	Raw, CS, NS, MS *Buffer
}

// SLSTMForward runs the recurrence; fresh says the state is the zero state
// of a new sequence.
func (d *Device) SLSTMForward(s SLSTMShape, t SLSTMTensors, fresh bool) error {
	if err := s.check(); err != nil {
		return err
	}
	r, h := s.Batch*s.Seq, s.Heads*s.DH
	if err := firstErr(needF(t.WX, r*4*h, "slstm wx"), needF(t.R, s.Heads*4*s.DH*s.DH, "slstm R"), needF(t.Bias, 4*h, "slstm bias"),
		needF(t.Y, r*h, "slstm y"), needF(t.C, s.Batch*h, "slstm c"), needF(t.N, s.Batch*h, "slstm n"), needF(t.M, s.Batch*h, "slstm m"),
		needF(t.YS, s.Batch*h, "slstm y state"), optF(t.Raw, r*4*h, "slstm raw"), optF(t.CS, r*h, "slstm c rows"),
		optF(t.NS, r*h, "slstm n rows"), optF(t.MS, r*h, "slstm m rows")); err != nil {
		return err
	}
	if (t.CS == nil) != (t.NS == nil) || (t.CS == nil) != (t.MS == nil) {
		return fmt.Errorf("cuda: slstm: save all of CS, NS, MS or none")
	}
	return d.Launch("xl_slstm_fwd", Dim{X: min(s.Batch*s.Heads, maxGrid)}, Dim{X: block}, t.Y, t.C, t.N, t.M, t.YS, t.Raw, t.CS, t.NS, t.MS,
		t.WX, t.R, t.Bias, s.Batch, s.Seq, s.Heads, s.DH, b2i(fresh))
}

// SLSTMBackward computes, for a forward from a fresh zero state, the
// gradient of the pre-activations DRaw (B·S, 4H; also the gradient of WX)
// from DY (B·S, H), and DR (NH, 4DH, DH) and DBias (4H) when non-nil.
func (d *Device) SLSTMBackward(s SLSTMShape, t SLSTMTensors, dY, dRaw, dR, dBias *Buffer) error {
	if err := s.check(); err != nil {
		return err
	}
	r, h := s.Batch*s.Seq, s.Heads*s.DH
	if err := firstErr(needF(dY, r*h, "slstm dy"), needF(dRaw, r*4*h, "slstm draw"), needF(t.Raw, r*4*h, "slstm raw"),
		needF(t.CS, r*h, "slstm c rows"), needF(t.NS, r*h, "slstm n rows"), needF(t.MS, r*h, "slstm m rows"),
		needF(t.R, s.Heads*4*s.DH*s.DH, "slstm R"), needF(t.Y, r*h, "slstm y"),
		optF(dR, s.Heads*4*s.DH*s.DH, "slstm dR"), optF(dBias, 4*h, "slstm dbias")); err != nil {
		return err
	}
	if err := d.Launch("xl_slstm_bwd", Dim{X: min(s.Batch*s.Heads, maxGrid)}, Dim{X: block}, dRaw, dY, t.Raw, t.CS, t.NS, t.MS, t.R,
		s.Batch, s.Seq, s.Heads, s.DH); err != nil {
		return err
	}
	if dR != nil {
		if err := d.Launch("xl_slstm_bwd_r", grid1(s.Heads*4*s.DH*s.DH), Dim{X: block}, dR, dRaw, t.Y, s.Batch, s.Seq, s.Heads, s.DH); err != nil {
			return err
		}
	}
	if dBias != nil {
		return d.BiasGrad(dBias, dRaw, r, 4*h)
	}
	return nil
}
