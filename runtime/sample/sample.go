// Package sample picks the next token from a vector of logits: greedy argmax,
// or seeded sampling with temperature, top-k and top-p (nucleus) filtering.
// Every backend's host side and cmd/generate use it, so that the same seed and
// the same logits give the same tokens everywhere.
//
// # Order of operations
//
// As in Hugging Face transformers' generate: temperature scaling, then top-k,
// then top-p, then softmax over what is left and one draw.
//
//   - Temperature 0 is greedy: the largest logit wins, the lowest id on ties,
//     and no random number is drawn. Top-k and top-p do not matter then.
//   - Top-k keeps exactly the K highest logits (ties broken by the lower id, so
//     never more than K tokens survive; Hugging Face would keep every token
//     tied with the K-th). K = 0, or K ≥ the vocabulary, is off.
//   - Top-p keeps the smallest set of highest-probability tokens (probabilities
//     renormalised over what top-k left) whose cumulative probability reaches
//     P, always at least one token. P = 0 or P ≥ 1 is off.
//   - Softmax is computed in float64 with the maximum subtracted first.
//
// Tokens whose logit is -Inf have probability zero and are never drawn.
//
// # Determinism
//
// The random stream is math/rand/v2's PCG (PCG-DXSM, 128-bit state, a fixed
// and documented algorithm), seeded with (Seed, streamConstant). Each sampled
// token consumes exactly one Uint64, turned into a float64 in [0, 1) as
// (x >> 11) · 2⁻⁵³; greedy steps consume none. The exponential is the package's
// own pure-Go port of the FreeBSD/Go exp written so that no multiply-add can be
// fused, and all sums run in a fixed order, so the result does not depend on
// the platform's math.Exp assembly or on FMA contraction: the same seed and
// the same sequence of logits give the same tokens on amd64, arm64 and js/wasm.
package sample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// streamConstant is the second half of the PCG seed. It is part of the
// determinism contract: changing it changes every sampled sequence.
const streamConstant = 0x9e3779b97f4a7c15

// Params are the sampling settings. The zero value is greedy decoding.
type Params struct {
	// Temperature divides the logits. 0 means greedy (argmax).
	Temperature float64
	// TopK keeps only the K most likely tokens. 0 turns it off.
	TopK int
	// TopP keeps the smallest most-likely set with cumulative probability ≥ TopP.
	// 0 or 1 turns it off; it must lie in [0, 1].
	TopP float64
	// Seed seeds the random stream.
	Seed uint64
}

// Greedy reports whether p decodes greedily (Temperature == 0).
func (p Params) Greedy() bool { return p.Temperature == 0 }

// Validate checks the settings; the error names the offending field.
func (p Params) Validate() error {
	var errs []error
	switch {
	case math.IsNaN(p.Temperature):
		errs = append(errs, errors.New("sample: temperature is NaN"))
	case p.Temperature < 0:
		errs = append(errs, fmt.Errorf("sample: temperature %v is negative", p.Temperature))
	case math.IsInf(p.Temperature, 1):
		errs = append(errs, errors.New("sample: temperature is +Inf"))
	}
	if p.TopK < 0 {
		errs = append(errs, fmt.Errorf("sample: top-k %d is negative", p.TopK))
	}
	if math.IsNaN(p.TopP) {
		errs = append(errs, errors.New("sample: top-p is NaN"))
	} else if p.TopP < 0 || p.TopP > 1 {
		errs = append(errs, fmt.Errorf("sample: top-p %v is outside [0, 1]", p.TopP))
	}
	return errors.Join(errs...)
}

// Sampler draws tokens for one vocabulary size. It holds its scratch buffers,
// so Next does not allocate. A Sampler is not safe for concurrent use.
type Sampler struct {
	p     Params
	vocab int
	rng   rand.PCG

	x     []float64 // scaled logits minus the maximum: (l - max) / T
	w     []float64 // exp(x), by token id, for the tokens still in play
	heap  []int32   // candidate ids, kept as a max-heap by (x desc, id asc)
	order []int32   // candidates in sampling order
}

// New returns a Sampler for logits of length vocabSize.
func New(p Params, vocabSize int) (*Sampler, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if vocabSize <= 0 {
		return nil, fmt.Errorf("sample: vocabulary size %d must be positive", vocabSize)
	}
	if vocabSize > math.MaxInt32 {
		return nil, fmt.Errorf("sample: vocabulary size %d is too large", vocabSize)
	}
	s := &Sampler{p: p, vocab: vocabSize}
	s.Reset(p.Seed)
	if !p.Greedy() {
		s.x = make([]float64, vocabSize)
		s.w = make([]float64, vocabSize)
		s.heap = make([]int32, vocabSize)
		s.order = make([]int32, vocabSize)
	}
	return s, nil
}

// Params returns the settings the Sampler was made with (Seed is the one given
// to New, not one given to Reset later).
func (s *Sampler) Params() Params { return s.p }

// VocabSize returns the logits length Next expects.
func (s *Sampler) VocabSize() int { return s.vocab }

// Reset restarts the random stream from seed, as if the Sampler were new.
func (s *Sampler) Reset(seed uint64) {
	s.rng.Seed(seed, streamConstant)
}

// Argmax returns the index of the largest value, the lowest index on ties.
// NaNs are ignored; it returns -1 when there is no non-NaN value.
func Argmax(logits []float32) int {
	best := -1
	var bv float32
	for i, v := range logits {
		if v != v { // NaN
			continue
		}
		if best < 0 || v > bv {
			best, bv = i, v
		}
	}
	return best
}

// Next returns the next token id for logits. It fails when len(logits) is not
// the vocabulary size, when a logit is NaN or +Inf, or when every logit is -Inf.
func (s *Sampler) Next(logits []float32) (int, error) {
	if len(logits) != s.vocab {
		return 0, fmt.Errorf("sample: got %d logits, want vocabulary size %d", len(logits), s.vocab)
	}
	best := -1
	var bv float32
	for i, v := range logits {
		if v != v {
			return 0, fmt.Errorf("sample: logit %d is NaN", i)
		}
		if v > math.MaxFloat32 {
			return 0, fmt.Errorf("sample: logit %d is +Inf", i)
		}
		if v < -math.MaxFloat32 {
			continue
		}
		if best < 0 || v > bv {
			best, bv = i, v
		}
	}
	if best < 0 {
		return 0, errors.New("sample: every logit is -Inf")
	}
	if s.p.Greedy() {
		return best, nil
	}
	return s.draw(logits, float64(bv)), nil
}

// draw samples from the finite logits; hi is their maximum.
func (s *Sampler) draw(logits []float32, hi float64) int {
	t := s.p.Temperature
	topK := s.p.TopK
	topP := s.p.TopP > 0 && s.p.TopP < 1

	// Temperature: x = (l - hi) / T ≤ 0, with x = 0 for the maximum. Dividing
	// after the subtraction keeps tiny temperatures from overflowing.
	n := 0
	for i, v := range logits {
		if v < -math.MaxFloat32 {
			continue
		}
		s.x[i] = (float64(v) - hi) / t
		s.heap[n] = int32(i)
		n++
	}
	if topK >= n {
		topK = 0
	}
	cands := s.heap[:n]

	if topK == 0 && !topP {
		// Plain softmax over every finite token, in id order.
		total := s.weigh(cands)
		return s.pick(cands, total)
	}

	// Both filters want the candidates from the most likely down: a max-heap
	// (heapify O(n), then one O(log n) pop per token taken) gives them without
	// sorting the whole vocabulary.
	var limit float64
	if topK == 0 {
		// Top-p alone normalises over every finite token.
		limit = s.p.TopP * s.weigh(cands)
	}
	s.heapify(n)
	m := 0
	var total float64
	if topK > 0 {
		for ; m < topK; m++ {
			id := s.pop(n - m)
			s.order[m] = id
		}
		total = s.weigh(s.order[:m])
		if !topP {
			return s.pick(s.order[:m], total)
		}
		// Renormalise over the top-k set.
		limit = s.p.TopP * total
		m = 0
	}
	// Keep the shortest prefix whose cumulative probability reaches P; the
	// first token always stays.
	total = 0
	for m < n {
		var id int32
		if topK > 0 {
			if m == topK {
				break
			}
			id = s.order[m]
		} else {
			id = s.pop(n - m)
			s.order[m] = id
		}
		total += s.w[id]
		m++
		if total >= limit {
			break
		}
	}
	return s.pick(s.order[:m], total)
}

// weigh stores w[id] = exp(x[id]) for ids and returns their sum.
func (s *Sampler) weigh(ids []int32) float64 {
	var total float64
	for _, id := range ids {
		w := exp(s.x[id])
		s.w[id] = w
		total += w
	}
	return total
}

// pick draws one of ids with probability w[id] / total.
func (s *Sampler) pick(ids []int32, total float64) int {
	u := float64(s.rng.Uint64()>>11) * 0x1p-53
	r := u * total
	var cum float64
	last := int32(-1)
	for _, id := range ids {
		w := s.w[id]
		if w == 0 {
			continue
		}
		cum += w
		last = id
		if r < cum {
			return int(id)
		}
	}
	// Rounding left r at or past the running sum: the last token with weight.
	// The maximum has weight exp(0) = 1 and is always among ids.
	return int(last)
}

// before reports whether token a ranks above token b: larger scaled logit,
// then lower id. It is a total order, so the selection never depends on the
// heap's layout.
func (s *Sampler) before(a, b int32) bool {
	xa, xb := s.x[a], s.x[b]
	return xa > xb || (xa == xb && a < b)
}

func (s *Sampler) heapify(n int) {
	for i := n/2 - 1; i >= 0; i-- {
		s.siftDown(i, n)
	}
}

// pop removes and returns the top of the heap of size n.
func (s *Sampler) pop(n int) int32 {
	h := s.heap
	top := h[0]
	h[0] = h[n-1]
	s.siftDown(0, n-1)
	return top
}

func (s *Sampler) siftDown(i, n int) {
	h := s.heap
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if r := c + 1; r < n && s.before(h[r], h[c]) {
			c = r
		}
		if !s.before(h[c], h[i]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}
