package model

import (
	"errors"
	"fmt"
	"sync"

	"github.com/xlstm-go/xlstm/runtime/kernels"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// lmChunkSize is the chunk length the original LM's prefill uses; the
// chunkwise form equals the recurrent one for any chunk length.
const lmChunkSize = 64

// Model is a loaded model of either family: weights by role plus the
// reference forward in three forms (full sequence, prefill, step). Once
// loaded (and SetThreads called, if wanted) a Model is only read, so many
// States may use it at once.
type Model[F Float] struct {
	cfg     *Config
	fp      [32]byte // cfg.Fingerprint(), names the model in saved states
	embed   []F      // (V, D)
	head    []F      // (V, D); the embedding when tied
	outNorm []F      // post-blocks norm (D); nil when absent
	// embedQ and headQ hold the embedding and head when they stayed
	// quantised (float32 models from Q8/Q4 bundles); embed/head are then nil.
	embedQ, headQ *kernels.QMat
	lm            []lmBlock[F]
	large         []largeBlock[F]
	act           func(F) F     // the sLSTM blocks' FFN activation
	pool          *kernels.Pool // splits large float32 products across threads; nil = one

	// trace, when set by tests, receives intermediate activations under the
	// official module names (rows × cols, row-major) during Forward.
	trace func(name string, data []F, rows, cols int)

	// fwd keeps Forward's state (and with it its grown workspace) between
	// calls; a call that finds it busy uses a fresh one.
	fwd struct {
		mu sync.Mutex
		st *State[F]
	}
}

// lmBlock is one original-LM block: exactly one of m and s is set.
type lmBlock[F Float] struct {
	m *lmMLSTM[F]
	s *lmSLSTM[F]
}

// New builds a model from a validated config and a tensor source. Every
// missing, mis-shaped or unexpected tensor is reported by name.
func New[F Float](cfg *Config, src Source) (*Model[F], error) {
	if cfg == nil {
		return nil, errors.New("model: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m := &Model[F]{cfg: cfg, fp: cfg.Fingerprint()}
	l := &loader[F]{src: src, used: map[string]bool{}}
	switch cfg.Family {
	case FamilyLM:
		m.loadLM(l)
		if cfg.LM.FFN != nil {
			m.act = activation[F](cfg.LM.FFN.ActFn)
		}
	case FamilyLarge:
		m.loadLarge(l)
	default:
		return nil, fmt.Errorf("model: unknown family %d", cfg.Family)
	}
	if err := l.finish(); err != nil {
		return nil, fmt.Errorf("model weights: %w", err)
	}
	return m, nil
}

// Load reads the config (config.yaml or config.json) and the safetensors
// weights (single file or shards) of a checkpoint directory, or a weight
// bundle (a directory with manifest.json, see LoadBundle).
func Load[F Float](dir string) (*Model[F], error) {
	if isBundle(dir) {
		return LoadBundle[F](dir)
	}
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	set, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	// Weights are copied into the model, so the mapping can go.
	defer set.Close()
	m, err := New[F](cfg, set)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	return m, nil
}

// SetThreads sets how many goroutines share the large matrix products of
// the float32 forward (the caller's plus n-1 workers, kept until Close); n
// ≤ 1 runs everything on the caller. Call it before the model is in use.
func (m *Model[F]) SetThreads(n int) {
	m.pool.Close()
	m.pool = nil
	if _, ok := any(m.embed).([]float32); ok {
		m.pool = kernels.NewPool(n)
	}
}

// Threads returns the number of goroutines the forward uses.
func (m *Model[F]) Threads() int { return m.pool.Threads() }

// Close stops the model's worker goroutines, if any.
func (m *Model[F]) Close() {
	m.pool.Close()
	m.pool = nil
}

// linear is y = W x (+ bias) with the model's thread pool; W is w, or q
// when that is set (a quantised matrix, float32 models only).
func (m *Model[F]) linear(y, w []F, q *kernels.QMat, bias, x []F) {
	if y32, ok := any(y).([]float32); ok && (m.pool != nil || q != nil) {
		if q != nil {
			m.pool.MatVecQ(y32, q, any(x).([]float32))
		} else {
			m.pool.MatVec(y32, any(w).([]float32), any(x).([]float32))
		}
		for o := range bias {
			y[o] += bias[o]
		}
		return
	}
	linear(y, w, bias, x)
}

// linearSeq applies linear to each of the S rows of x (S×in) into y
// (S×out). Several float32 rows go through the blocked kernel, which loads
// each weight once for several tokens; a quantised W is dequantised a tile
// of rows at a time into scratch from ws.
func (m *Model[F]) linearSeq(y, w []F, q *kernels.QMat, bias, x []F, in, out int, ws *arena[F]) {
	s := len(x) / in
	if y32, ok := any(y).([]float32); ok && s > 1 {
		x32 := any(x).([]float32)
		if q != nil {
			kernels.MatMulQ(y32, q, x32, any(ws.take(64*in)).([]float32))
		} else {
			kernels.MatMul(y32, any(w).([]float32), x32, out, in)
		}
		for t := 0; t < s; t++ {
			yt := y[t*out : (t+1)*out]
			for o := range bias {
				yt[o] += bias[o]
			}
		}
		return
	}
	for t := 0; t < s; t++ {
		m.linear(y[t*out:(t+1)*out], w, q, bias, x[t*in:(t+1)*in])
	}
}

// embedRow copies token tok's embedding into x.
func (m *Model[F]) embedRow(x []F, tok int) {
	d := len(x)
	if m.embedQ != nil {
		m.embedQ.DequantizeRows(any(x).([]float32), tok, tok+1)
		return
	}
	copy(x, m.embed[tok*d:(tok+1)*d])
}

// Config returns the model's configuration (not to be modified).
func (m *Model[F]) Config() *Config { return m.cfg }

func (m *Model[F]) checkTokens(tokens []int) error {
	if len(tokens) == 0 {
		return errors.New("no tokens")
	}
	for i, t := range tokens {
		if t < 0 || t >= m.cfg.VocabSize {
			return fmt.Errorf("token %d at position %d is outside the vocabulary [0,%d)", t, i, m.cfg.VocabSize)
		}
	}
	return nil
}

// Forward runs the full-sequence form on tokens from a zero state and
// returns the logits (len(tokens) × VocabSize): the original LM's mLSTM
// blocks use the parallel form (SPEC §4.1), xLSTM Large the chunkwise form
// (SPEC §8.1). Unlike the official parallel form it does not stop at the
// config's context_length (its mask size); cost grows with the square of the
// length. Use Prefill to continue from or keep a state. The model keeps the
// workspace of one call for the next (memory in proportion to the longest
// sequence seen); concurrent calls are safe, and all but one of them then
// allocate their own.
func (m *Model[F]) Forward(tokens []int) ([]F, error) {
	if err := m.checkTokens(tokens); err != nil {
		return nil, fmt.Errorf("forward: %w", err)
	}
	logits := make([]F, len(tokens)*m.cfg.VocabSize)
	if !m.fwd.mu.TryLock() {
		m.run(m.NewState(), tokens, logits, formParallel)
		return logits, nil
	}
	defer m.fwd.mu.Unlock()
	if m.fwd.st == nil {
		m.fwd.st = m.NewState()
	}
	m.fwd.st.Reset()
	m.run(m.fwd.st, tokens, logits, formParallel)
	return logits, nil
}

// Prefill consumes tokens starting from st, updating st, with the chunkwise
// form. logits may be nil (none wanted), VocabSize long (the last
// position's) or len(tokens)×VocabSize (every position's).
func (m *Model[F]) Prefill(st *State[F], tokens []int, logits []F) error {
	if err := m.checkState(st); err != nil {
		return fmt.Errorf("prefill: %w", err)
	}
	if err := m.checkTokens(tokens); err != nil {
		return fmt.Errorf("prefill: %w", err)
	}
	v := m.cfg.VocabSize
	if logits != nil && len(logits) != v && len(logits) != len(tokens)*v {
		return fmt.Errorf("prefill: logits buffer has %d elements, want 0, %d or %d", len(logits), v, len(tokens)*v)
	}
	m.run(st, tokens, logits, formChunkwise)
	return nil
}

// Step consumes one token with the recurrent form (SPEC §4.2, §5.2, §8.1),
// updating st, and writes the next-token logits (VocabSize) into logits.
// After the first call it allocates nothing.
func (m *Model[F]) Step(st *State[F], token int, logits []F) error {
	if err := m.checkState(st); err != nil {
		return fmt.Errorf("step: %w", err)
	}
	if token < 0 || token >= m.cfg.VocabSize {
		return fmt.Errorf("step: token %d is outside the vocabulary [0,%d)", token, m.cfg.VocabSize)
	}
	if len(logits) != m.cfg.VocabSize {
		return fmt.Errorf("step: logits buffer has %d elements, want %d", len(logits), m.cfg.VocabSize)
	}
	st.one[0] = token
	m.run(st, st.one[:], logits, formRecurrent)
	return nil
}

// form selects how the mLSTM cell walks a sequence.
type form int

const (
	formParallel  form = iota // parallel from a zero state (LM); chunkwise for Large
	formChunkwise             // chunkwise from the state
	formRecurrent             // one step at a time from the state
)

// run embeds tokens, runs every block and the head. logits may be nil, one
// row (the last position's) or one row per token.
func (m *Model[F]) run(st *State[F], tokens []int, logits []F, f form) {
	ws := &st.ws
	ws.reset()
	c := m.cfg
	s, d, v := len(tokens), c.EmbeddingDim, c.VocabSize
	x := ws.take(s * d)
	for t, tok := range tokens {
		m.embedRow(x[t*d:(t+1)*d], tok)
	}
	m.emit("embedding", x, s, d)
	blockScratch := ws.mark() // each block's scratch is the next one's
	for i := range st.blocks {
		ws.release(blockScratch)
		switch {
		case c.Family == FamilyLarge:
			m.largeBlock(i, x, s, &st.blocks[i], ws, f)
		case m.lm[i].m != nil:
			m.mlstmBlock(i, x, s, &st.blocks[i], ws, f)
		default:
			m.slstmBlock(i, x, s, &st.blocks[i], ws)
		}
	}
	st.pos += s
	if logits == nil {
		return
	}
	first := 0
	if len(logits) == v {
		first = s - 1
	}
	rows := s - first
	xn := ws.take(rows * d)
	for r := 0; r < rows; r++ {
		in, out := x[(first+r)*d:(first+r+1)*d], xn[r*d:(r+1)*d]
		switch {
		case m.outNorm == nil:
			copy(out, in)
		case c.Family == FamilyLM:
			layerNorm(out, in, m.outNorm, 1e-5, true)
		default:
			rmsNorm(out, in, m.outNorm, c.Large.NormEps)
		}
	}
	m.emit("out_norm", xn, rows, d)
	m.linearSeq(logits, m.head, m.headQ, nil, xn, d, v, ws)
	m.emit("lm_head", logits, rows, v)
	if c.Family == FamilyLarge {
		softcapAll(logits, c.Large.OutputLogitSoftCap)
	}
}

// emit passes an activation to the test trace, if any.
func (m *Model[F]) emit(name string, data []F, rows, cols int) {
	if m.trace != nil {
		m.trace(name, data, rows, cols)
	}
}

// emitBlock passes block i's activation to the trace as "blocks.<i>.<name>".
func (m *Model[F]) emitBlock(i int, name string, data []F, rows, cols int) {
	if m.trace != nil {
		m.trace(fmt.Sprintf("blocks.%d.%s", i, name), data, rows, cols)
	}
}
