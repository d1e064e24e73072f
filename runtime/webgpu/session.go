package webgpu

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/sample"
)

// Session is one sequence on an Engine; it implements engine.Session. Its
// recurrent state lives in device buffers; Step is deferred until its
// result is needed, so a decoded token (forward, then argmax or the logits
// read back) is one command submission.
type Session struct {
	e       *Engine
	state   []blockBufs
	logits  *buffer // chunk × V: every row of the last call
	pick    *buffer // argmax output
	step    *program
	prefill *program
	argmax  *program
	topk    *program // for topkN candidates
	topkN   int
	cands   *buffer      // topk output
	stage   *wgpu.Buffer // staging for reads of up to 16 bytes
	seq     [16]byte     // the sequence-length uniform, kept here so run does not allocate it
	cand    []float32    // host logits row: -Inf but for the last candidates
	candIDs []int        // ids set in cand
	candRaw []uint32

	host    *model.State[float32] // staging for Marshal/RestoreState
	out     []float32             // host copy of the last logits row
	outOK   bool                  // out holds the current row
	lastRow int                   // row of logits holding the last token's
	valid   bool                  // logits belong to the current state
	pending int                   // token of a deferred Step, or -1
	pos     int
	closed  bool
	tb      []uint32 // token ids of the current call
	one     [1]int
	rows    []int
	word    [4]byte
}

var _ engine.Session = (*Session)(nil)

// blockBufs is one block's state: mem is [C|n|m] (mLSTM) or [y|c|n|m]
// (sLSTM), in model.State's order; conv the conv buffer (nil without).
type blockBufs struct {
	mem, conv *buffer
	nv        int // state vectors in mem
}

func (e *Engine) newSession() (*Session, error) {
	s := &Session{e: e, host: e.ref.NewState(), pending: -1, out: make([]float32, e.cfg.VocabSize)}
	vecs := s.host.Vectors()
	k := 0
	s.state = make([]blockBufs, e.cfg.NumBlocks)
	var err error
	for i := range s.state {
		n := 0
		nv := 3 // C, n, m
		hasConv := false
		switch {
		case e.cfg.Family == model.FamilyLarge:
		case e.cfg.LM.BlockIsSLSTM[i]:
			nv = 4
			hasConv = e.cfg.LM.SLSTM.ConvKernelSize > 0
		default:
			hasConv = e.cfg.LM.MLSTM.ConvKernelSize > 0
		}
		for j := 0; j < nv; j++ {
			n += len(vecs[k+j])
		}
		k += nv
		s.state[i].nv = nv
		if s.state[i].mem, err = e.dev.buffer(4 * n); err != nil {
			s.release()
			return nil, err
		}
		if hasConv {
			if s.state[i].conv, err = e.dev.buffer(4 * len(vecs[k])); err != nil {
				s.release()
				return nil, err
			}
			k++
		}
	}
	v := e.cfg.VocabSize
	if s.logits, err = e.dev.buffer(4 * v * e.chunk); err != nil {
		s.release()
		return nil, err
	}
	if s.pick, err = e.dev.buffer(16); err != nil {
		s.release()
		return nil, err
	}
	for _, f := range []struct {
		dst     **program
		rows    int
		prefill bool
	}{{&s.step, 1, false}, {&s.prefill, e.chunk, true}} {
		p := &planner{builder: &builder{d: e.dev}, e: e, s: s, rows: f.rows, prefill: f.prefill}
		p.build()
		if *f.dst, err = p.finish(); err != nil {
			s.release()
			return nil, fmt.Errorf("webgpu: build forward: %w", err)
		}
	}
	return s, nil
}

func (s *Session) release() {
	for _, b := range s.state {
		b.mem.release()
		b.conv.release()
	}
	s.logits.release()
	s.pick.release()
	s.step.release()
	s.prefill.release()
	s.argmax.release()
	s.topk.release()
	s.cands.release()
	if s.stage != nil {
		s.stage.Destroy()
		s.stage.Release()
		s.stage = nil
	}
}

// Close releases the session's device buffers.
func (s *Session) Close() {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.release()
	}
}

func (s *Session) usable() error {
	if s.closed {
		return errors.New("webgpu: session is closed")
	}
	if s.e.closed {
		return errors.New("webgpu: engine is closed")
	}
	return nil
}

func (s *Session) checkToken(t int) error {
	if t < 0 || t >= s.e.cfg.VocabSize {
		return fmt.Errorf("token %d is outside the vocabulary [0,%d)", t, s.e.cfg.VocabSize)
	}
	return nil
}

// run submits prog over tokens (len ≤ its capacity), then the extra
// commands of tail (argmax, readbacks) in the same submission; readback
// copies n bytes at off of src into dst after it.
type readback struct {
	src *buffer
	off uint64
	dst []byte
}

func (s *Session) run(prog *program, tokens []int, argmax, topk bool, rb *readback) error {
	d := s.e.dev
	n := len(tokens)
	seq := s.seq[:]
	seq[0], seq[1], seq[2], seq[3] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	if err := d.write(s.e.act.seq, 0, seq); err != nil {
		return err
	}
	if cap(s.tb) < n {
		s.tb = make([]uint32, n)
	}
	tb := s.tb[:n]
	for i, t := range tokens {
		tb[i] = uint32(t)
	}
	if err := d.write(s.e.act.tok, 0, wgpu.ToBytes(tb)); err != nil {
		return err
	}
	enc, err := d.dev.CreateCommandEncoder(nil)
	if err != nil {
		return fmt.Errorf("webgpu: command encoder: %w", err)
	}
	pass := enc.BeginComputePass(nil)
	if prog != nil {
		prog.encode(pass)
	}
	if argmax {
		if err := s.encodeArgmax(pass); err != nil {
			return err
		}
	}
	if topk {
		s.topk.encode(pass)
	}
	pass.End()
	pass.Release()
	if rb == nil {
		cmd, err := enc.Finish(nil)
		if err != nil {
			return fmt.Errorf("webgpu: finish commands: %w", err)
		}
		d.queue.Submit(cmd)
		cmd.Release()
		enc.Release()
		return nil
	}
	if len(rb.dst) <= 16 {
		// The per-token reads (a token id) reuse one staging buffer.
		if s.stage == nil {
			if s.stage, err = d.staging(16); err != nil {
				return err
			}
		}
		return d.readbackVia(enc, rb.src, rb.off, rb.dst, len(rb.dst), s.stage)
	}
	return d.readback(enc, rb.src, rb.off, rb.dst, len(rb.dst))
}

// Prefill consumes tokens in chunks of the engine's prefill size.
func (s *Session) Prefill(ctx context.Context, tokens []int) error {
	_, err := s.prefillRows(ctx, tokens, false)
	return err
}

// PrefillLogits is Prefill that also returns every position's logits
// (len(tokens) × VocabSize), e.g. to check the prefill form against a
// reference.
func (s *Session) PrefillLogits(ctx context.Context, tokens []int) ([]float32, error) {
	return s.prefillRows(ctx, tokens, true)
}

func (s *Session) prefillRows(ctx context.Context, tokens []int, all bool) ([]float32, error) {
	if len(tokens) == 0 {
		return nil, errors.New("prefill: no tokens")
	}
	for i, t := range tokens {
		if err := s.checkToken(t); err != nil {
			return nil, fmt.Errorf("prefill: position %d: %w", i, err)
		}
	}
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	if err := s.flush(); err != nil {
		return nil, err
	}
	v := s.e.cfg.VocabSize
	var out []float32
	if all {
		out = make([]float32, len(tokens)*v)
	}
	for done := 0; done < len(tokens); {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(s.e.chunk, len(tokens)-done)
		s.valid, s.outOK = false, false
		var rb *readback
		if all {
			rb = &readback{src: s.logits, dst: wgpu.ToBytes(out[done*v : (done+n)*v])}
		}
		if err := s.run(s.prefill, tokens[done:done+n], false, false, rb); err != nil {
			return nil, fmt.Errorf("prefill: %w", err)
		}
		s.pos += n
		s.lastRow = n - 1
		s.valid = true
		done += n
	}
	if all {
		copy(s.out, out[len(out)-v:])
		s.outOK = true
	}
	return out, nil
}

// Step consumes one token with the recurrent form. The work is submitted
// with the next call that needs it (Logits, Sample, Step, Prefill, ...),
// so device errors may surface there.
func (s *Session) Step(token int) error {
	if err := s.checkToken(token); err != nil {
		return fmt.Errorf("step: %w", err)
	}
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if err := s.flush(); err != nil {
		return err
	}
	s.pending = token
	s.pos++
	s.valid, s.outOK = true, false
	s.lastRow = 0
	return nil
}

// flush submits a deferred Step, if any, without reading anything back.
func (s *Session) flush() error {
	if s.pending < 0 {
		return nil
	}
	s.one[0] = s.pending
	s.pending = -1
	if err := s.run(s.step, s.one[:], false, false, nil); err != nil {
		s.valid = false
		return fmt.Errorf("step: %w", err)
	}
	return nil
}

// take runs the deferred Step (if any) together with argmax or top-k (when
// topk > 0) and the read back rb.
func (s *Session) take(argmax bool, topk int, rb *readback) error {
	var prog *program
	var toks []int
	if s.pending >= 0 {
		s.one[0] = s.pending
		prog, toks = s.step, s.one[:]
		s.pending = -1
	} else {
		// Nothing to run but the selection: seq[0] = lastRow+1 names the row
		// (the tokens themselves are not read).
		toks = s.rowToks()
	}
	if err := s.run(prog, toks, argmax, topk > 0, rb); err != nil {
		s.valid = false
		return err
	}
	return nil
}

// rowToks returns lastRow+1 placeholder tokens.
func (s *Session) rowToks() []int {
	n := s.lastRow + 1
	if cap(s.rows) < n {
		s.rows = make([]int, n)
	}
	return s.rows[:n]
}

// Logits returns the next-token logits after the last token consumed.
func (s *Session) Logits() ([]float32, error) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	if !s.valid {
		return nil, errors.New("logits: no token consumed since the start or the last restore")
	}
	if s.outOK {
		return s.out, nil
	}
	v := s.e.cfg.VocabSize
	rb := &readback{src: s.logits, off: uint64(4 * v * s.lastRow), dst: wgpu.ToBytes(s.out)}
	if err := s.take(false, 0, rb); err != nil {
		return nil, fmt.Errorf("logits: %w", err)
	}
	s.outOK = true
	return s.out, nil
}

// maxTopK is the largest top-k that Sample filters on the device.
const maxTopK = 1023

// Sample draws the next token, the one smp.Next would give on the logits.
// Greedy sampling runs on the device (argmax; only the id is read back).
// With 0 < top-k ≤ 1023 the device selects the top-k+1 candidates and only
// those are read back; the host then draws from a row holding just them
// (every other logit -Inf): with one candidate beyond the top k, the
// sampler takes the same path over the same values, so the token is the
// same. Otherwise the logits are read back and smp draws on the host.
func (s *Session) Sample(smp *sample.Sampler) (int, error) {
	if smp == nil {
		return 0, errors.New("sample: nil sampler")
	}
	v := s.e.cfg.VocabSize
	if smp.VocabSize() != v {
		return 0, fmt.Errorf("sample: sampler for %d logits, model has %d", smp.VocabSize(), v)
	}
	p := smp.Params()
	if !p.Greedy() && (p.TopK <= 0 || p.TopK > maxTopK) {
		l, err := s.Logits()
		if err != nil {
			return 0, err
		}
		return smp.Next(l)
	}
	s.e.mu.Lock()
	if err := s.usable(); err != nil {
		s.e.mu.Unlock()
		return 0, err
	}
	if !s.valid {
		s.e.mu.Unlock()
		return 0, errors.New("sample: no token consumed since the start or the last restore")
	}
	if s.outOK {
		s.e.mu.Unlock()
		return smp.Next(s.out)
	}
	if p.Greedy() {
		defer s.e.mu.Unlock()
		rb := &readback{src: s.pick, dst: s.word[:]}
		if err := s.take(true, 0, rb); err != nil {
			return 0, fmt.Errorf("sample: %w", err)
		}
		id := int(uint32(s.word[0]) | uint32(s.word[1])<<8 | uint32(s.word[2])<<16 | uint32(s.word[3])<<24)
		if id >= v {
			return 0, errors.New("sample: every logit is NaN")
		}
		return id, nil
	}
	want := min(p.TopK+1, v)
	if err := s.topkRead(want); err != nil {
		s.e.mu.Unlock()
		return 0, fmt.Errorf("sample: %w", err)
	}
	n, bad := int(s.candRaw[0]), s.candRaw[1] != 0
	s.e.mu.Unlock()
	if bad || n != want {
		// NaN or +Inf among the logits: let the sampler see them all.
		l, err := s.Logits()
		if err != nil {
			return 0, err
		}
		return smp.Next(l)
	}
	for _, id := range s.candIDs {
		s.cand[id] = float32(math.Inf(-1))
	}
	s.candIDs = s.candIDs[:0]
	for i := 0; i < n; i++ {
		id := int(s.candRaw[2+2*i])
		if id >= v {
			return 0, fmt.Errorf("sample: device returned candidate %d outside the vocabulary", id)
		}
		s.cand[id] = math.Float32frombits(s.candRaw[3+2*i])
		s.candIDs = append(s.candIDs, id)
	}
	return smp.Next(s.cand)
}

// topkRead runs the deferred step (if any) and the top-k selection of want
// candidates, and reads them into candRaw.
func (s *Session) topkRead(want int) error {
	if s.cand == nil {
		s.cand = make([]float32, s.e.cfg.VocabSize)
		for i := range s.cand {
			s.cand[i] = float32(math.Inf(-1))
		}
	}
	if s.topkN != want {
		s.topk.release()
		s.topk = nil
		if s.cands == nil || s.cands.size < uint64(8*(want+1)) {
			s.cands.release()
			var err error
			if s.cands, err = s.e.dev.buffer(8 * (want + 1)); err != nil {
				return err
			}
		}
		b := &builder{d: s.e.dev}
		b.add("topk", "", []any{s.e.cfg.VocabSize, want, 0, 0}, []*buffer{s.e.act.seq, s.logits, s.cands}, 1, 1, 1)
		prog, err := b.finish()
		if err != nil {
			return err
		}
		s.topk, s.topkN = prog, want
		s.candRaw = make([]uint32, 2+2*want)
	}
	return s.take(false, want, &readback{src: s.cands, dst: wgpu.ToBytes(s.candRaw)})
}

func (s *Session) encodeArgmax(pass *wgpu.ComputePassEncoder) error {
	if s.argmax == nil {
		b := &builder{d: s.e.dev}
		b.add("argmax", "", []any{s.e.cfg.VocabSize, 0, 0, 0}, []*buffer{s.e.act.seq, s.logits, s.pick}, 1, 1, 1)
		p, err := b.finish()
		if err != nil {
			return err
		}
		s.argmax = p
	}
	s.argmax.encode(pass)
	return nil
}

// Pos returns the number of tokens consumed.
func (s *Session) Pos() int { return s.pos }

// MarshalState reads the state back and encodes it as model.State does.
func (s *Session) MarshalState() ([]byte, error) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	if err := s.flush(); err != nil {
		return nil, err
	}
	vecs := s.host.Vectors()
	k := 0
	for _, b := range s.state {
		nv := b.nv
		if err := s.read(b.mem, vecs[k:k+nv]); err != nil {
			return nil, fmt.Errorf("marshal state: %w", err)
		}
		k += nv
		if b.conv != nil {
			if err := s.read(b.conv, vecs[k:k+1]); err != nil {
				return nil, fmt.Errorf("marshal state: %w", err)
			}
			k++
		}
	}
	s.host.SetPos(s.pos)
	return s.host.MarshalBinary()
}

// read copies buffer b into the consecutive vectors vs.
func (s *Session) read(b *buffer, vs [][]float32) error {
	n := 0
	for _, v := range vs {
		n += len(v)
	}
	tmp := make([]float32, n)
	if err := s.e.dev.readback(nil, b, 0, wgpu.ToBytes(tmp), 4*n); err != nil {
		return err
	}
	for _, v := range vs {
		copy(v, tmp)
		tmp = tmp[len(v):]
	}
	return nil
}

// RestoreState replaces the state by one MarshalState (of any backend)
// wrote for this model.
func (s *Session) RestoreState(data []byte) error {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	s.pending = -1
	s.valid, s.outOK = false, false
	if err := s.host.UnmarshalBinary(data); err != nil {
		return fmt.Errorf("restore state: %w", err)
	}
	if err := s.upload(); err != nil {
		return fmt.Errorf("restore state: %w", err)
	}
	s.pos = s.host.Pos()
	return nil
}

// upload writes the host state into the device buffers.
func (s *Session) upload() error {
	vecs := s.host.Vectors()
	k := 0
	for _, b := range s.state {
		nv := b.nv
		var flat []float32
		for _, v := range vecs[k : k+nv] {
			flat = append(flat, v...)
		}
		if err := s.e.dev.write(b.mem, 0, wgpu.ToBytes(flat)); err != nil {
			return err
		}
		k += nv
		if b.conv != nil {
			if err := s.e.dev.write(b.conv, 0, wgpu.ToBytes(vecs[k])); err != nil {
				return err
			}
			k++
		}
	}
	return nil
}

// Reset returns to the start of a sequence (a zero state).
func (s *Session) Reset() {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	s.pending = -1
	s.valid, s.outOK = false, false
	s.pos = 0
	if s.usable() != nil {
		return
	}
	s.host.Reset()
	_ = s.upload() // zeros; a failure surfaces at the next submission
}
