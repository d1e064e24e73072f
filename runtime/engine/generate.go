package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/sample"
)

// Finish reasons of a generation, as the OpenAI API names them.
const (
	FinishLength = "length" // MaxTokens reached
	FinishStop   = "stop"   // the end-of-sequence token, or the caller's emit said stop
)

// ErrStop may be returned by an emit callback to end generation early with
// FinishStop (for example on a stop string); Generate then returns no error.
var ErrStop = errors.New("stop")

// Options control one generation.
type Options struct {
	// MaxTokens is how many tokens to generate at most (≥ 1).
	MaxTokens int
	// Params are the sampling settings.
	Params sample.Params
	// EOS is the end-of-sequence token id, or -1 for none. Generation stops
	// after emitting it unless IgnoreEOS.
	EOS       int
	IgnoreEOS bool
}

// Result says how a generation ended.
type Result struct {
	// Tokens is how many tokens were emitted.
	Tokens int
	// Finish is FinishLength or FinishStop.
	Finish string
	// Last is the last emitted token. It is not yet consumed by the
	// session: to continue the sequence later, Step it (or Prefill it with
	// what follows) first. -1 when nothing was emitted.
	Last int
}

// Generate consumes prompt (which may be empty when the session already
// holds logits, e.g. to continue after a Step), then samples up to
// opts.MaxTokens tokens, calling emit with each one as soon as it is drawn.
// Every emitted token but the last is consumed by the session. A cancelled
// ctx ends generation with ctx's error; emit's error ends it too (ErrStop
// without an error).
func Generate(ctx context.Context, s Session, prompt []int, opts Options, emit func(token int) error) (Result, error) {
	res := Result{Last: -1}
	if opts.MaxTokens < 1 {
		return res, fmt.Errorf("generate: max tokens %d: want at least 1", opts.MaxTokens)
	}
	if len(prompt) > 0 {
		if err := s.Prefill(ctx, prompt); err != nil {
			return res, fmt.Errorf("generate: prompt: %w", err)
		}
	}
	logits, err := s.Logits()
	if err != nil {
		return res, fmt.Errorf("generate: %w", err)
	}
	smp, err := sample.New(opts.Params, len(logits))
	if err != nil {
		return res, fmt.Errorf("generate: %w", err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		id, err := s.Sample(smp)
		if err != nil {
			return res, fmt.Errorf("generate: token %d: %w", res.Tokens, err)
		}
		res.Tokens++
		res.Last = id
		if err := emit(id); err != nil {
			if errors.Is(err, ErrStop) {
				res.Finish = FinishStop
				return res, nil
			}
			return res, err
		}
		if id == opts.EOS && !opts.IgnoreEOS {
			res.Finish = FinishStop
			return res, nil
		}
		if res.Tokens >= opts.MaxTokens {
			res.Finish = FinishLength
			return res, nil
		}
		if err := s.Step(id); err != nil {
			return res, fmt.Errorf("generate: token %d: %w", res.Tokens, err)
		}
	}
}
