package loop

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// Batcher draws training batches from a token stream. A batch is a pure
// function of (seed, step): resuming at step k needs no saved RNG state, and
// the same seed gives the same batches on every machine.
type Batcher struct {
	tokens     []int32
	batch, seq int
	seed       uint64
	buf        [][]int
}

// NewBatcher returns a Batcher of batch windows of seq tokens each, drawn
// uniformly from tokens.
func NewBatcher(tokens []int32, batch, seq int, seed uint64) (*Batcher, error) {
	switch {
	case batch < 1:
		return nil, fmt.Errorf("batch size %d: want at least 1", batch)
	case seq < 2:
		return nil, fmt.Errorf("sequence length %d: want at least 2", seq)
	case len(tokens) < seq:
		return nil, fmt.Errorf("training data of %d tokens is shorter than one sequence of %d", len(tokens), seq)
	}
	b := &Batcher{tokens: tokens, batch: batch, seq: seq, seed: seed, buf: make([][]int, batch)}
	for i := range b.buf {
		b.buf[i] = make([]int, seq)
	}
	return b, nil
}

// Batch returns the batch of step (1-based). The returned slices are reused
// by the next call.
func (b *Batcher) Batch(step int) [][]int {
	rng := rand.New(rand.NewPCG(b.seed, uint64(step)))
	n := uint64(len(b.tokens) - b.seq + 1)
	for _, row := range b.buf {
		off := int(rng.Uint64N(n))
		for j := range row {
			row[j] = int(b.tokens[off+j])
		}
	}
	return b.buf
}

// Windows cuts tokens into consecutive windows of seq tokens that overlap by
// one (window i+1 starts with window i's last token), so that a next-token
// loss over all windows predicts every token after the first exactly once.
// At most max windows are returned (0 = all); a short tail is dropped.
func Windows(tokens []int32, seq, max int) ([][]int, error) {
	if seq < 2 {
		return nil, fmt.Errorf("sequence length %d: want at least 2", seq)
	}
	if len(tokens) < seq {
		return nil, errors.New("evaluation data is shorter than one sequence")
	}
	var out [][]int
	for off := 0; off+seq <= len(tokens) && (max == 0 || len(out) < max); off += seq - 1 {
		w := make([]int, seq)
		for j := range w {
			w[j] = int(tokens[off+j])
		}
		out = append(out, w)
	}
	return out, nil
}

// Encoder turns text into token ids (a tokenizer's EncodeWith(text, false)).
type Encoder func(text string) []int

// Tokens encodes data and checks every id against the vocabulary size.
func Tokens(data []byte, enc Encoder, vocab int) ([]int32, error) {
	ids := enc(string(data))
	out := make([]int32, len(ids))
	for i, id := range ids {
		if id < 0 || id >= vocab {
			return nil, fmt.Errorf("token %d (id %d) is outside the model's vocabulary of %d", i, id, vocab)
		}
		out[i] = int32(id)
	}
	return out, nil
}
