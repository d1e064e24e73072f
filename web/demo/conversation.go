package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/sample"
	"github.com/xlstm-go/xlstm/runtime/tokenizer"
)

// conversation is the sequence the page shows: a session, the sampler whose
// random stream runs on across generations, and the last sampled token,
// which engine.Generate leaves unconsumed.
type conversation struct {
	sess    engine.Session
	params  sample.Params
	smp     *sample.Sampler
	dec     *tokenizer.StreamDecoder // nil without a tokenizer
	prompt  []int                    // the prompt's token ids
	ids     []int                    // generated ids so far
	pending int                      // sampled, not yet consumed; -1 for none
}

// sharedSampler makes engine.Generate draw with the conversation's sampler
// instead of the fresh one it makes per call, so that generating N tokens and
// then M more (even across a save and restore) gives the same tokens as
// generating N+M at once.
type sharedSampler struct {
	engine.Session
	smp *sample.Sampler
}

func (s sharedSampler) Sample(*sample.Sampler) (int, error) { return s.Session.Sample(s.smp) }

// Request is one generation.
type Request struct {
	// Prompt is the text to start from (ignored when Continue).
	Prompt string `json:"prompt"`
	// Tokens, when not empty, is the prompt as token ids instead of text.
	Tokens []int `json:"tokens,omitempty"`
	// Continue goes on from the current conversation instead of starting a
	// new one; its sampler keeps its position, taking Params' settings.
	Continue  bool          `json:"continue"`
	Params    sample.Params `json:"params"`
	MaxTokens int           `json:"maxTokens"`
	IgnoreEOS bool          `json:"ignoreEOS"`
}

// Token is one generated token and the text it completes (maybe "").
type Token struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
}

// Stats describe a finished (or stopped) generation.
type Stats struct {
	PromptTokens []int   `json:"promptTokens"` // the prompt's ids (none when continuing)
	Tokens       int     `json:"tokens"`       // tokens generated
	Finish       string  `json:"finish"`       // "length", "stop" or "cancelled"
	FirstTokenMS float64 `json:"firstTokenMs"` // request to first token
	TotalMS      float64 `json:"totalMs"`
	TokPerSec    float64 `json:"tokPerSec"` // after the first token
	Pos          int     `json:"pos"`       // tokens in the conversation's state
	Tail         string  `json:"tail"`      // text the decoder held back, flushed at the end
}

// Generate runs one generation, calling emit with each token as it is drawn.
// A cancelled ctx (the page's Stop) ends it early without an error: the
// tokens so far stay in the conversation, which can be continued or saved.
func (d *Demo) Generate(ctx context.Context, req Request, emit func(Token) error) (Stats, error) {
	start := time.Now()
	var st Stats
	if req.MaxTokens < 1 {
		return st, fmt.Errorf("max tokens %d: want at least 1", req.MaxTokens)
	}
	if err := req.Params.Validate(); err != nil {
		return st, err
	}
	var prompt []int
	if req.Continue {
		if d.conv == nil || d.conv.pending < 0 {
			return st, errors.New("nothing to continue: generate or restore first")
		}
		c := d.conv
		if err := c.sess.Step(c.pending); err != nil {
			return st, fmt.Errorf("continue: %w", err)
		}
		c.pending = -1
		if c.params != req.Params {
			if err := c.retune(req.Params, d.b.Config.VocabSize); err != nil {
				return st, err
			}
		}
	} else {
		var err error
		if prompt, err = d.promptTokens(req); err != nil {
			return st, err
		}
		if err := d.newConversation(req.Params, prompt); err != nil {
			return st, err
		}
		st.PromptTokens = prompt
	}
	c := d.conv
	eos := d.b.Config.EOS
	if eos < 0 && d.b.Tokenizer != nil {
		eos = d.b.Tokenizer.EOS()
	}
	opts := engine.Options{MaxTokens: req.MaxTokens, Params: req.Params, EOS: eos, IgnoreEOS: req.IgnoreEOS}
	if len(prompt) > 0 {
		if err := c.sess.Prefill(ctx, prompt); err != nil {
			// Stopped or failed inside the prompt: the state is partial.
			d.dropConversation()
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				st.Finish = "cancelled"
				st.TotalMS = ms(time.Since(start))
				return st, nil
			}
			return st, fmt.Errorf("prompt: %w", err)
		}
	}
	// Stop ends the loop through emit (engine.ErrStop), never between a
	// token's Step and the next draw, so the last token is always the one
	// left pending and the conversation can be saved or continued.
	var first time.Time
	res, err := engine.Generate(context.WithoutCancel(ctx), sharedSampler{c.sess, c.smp}, nil, opts, func(id int) error {
		if first.IsZero() {
			first = time.Now()
		}
		c.ids = append(c.ids, id)
		tok := Token{ID: id}
		if c.dec != nil && !(id == eos && !req.IgnoreEOS) {
			tok.Text = c.dec.Add(id)
		}
		if err := emit(tok); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return engine.ErrStop
		}
		return nil
	})
	st.Tokens = res.Tokens
	st.Finish = res.Finish
	c.pending = res.Last
	if err != nil {
		return st, err
	}
	if ctx.Err() != nil {
		st.Finish = "cancelled"
	}
	if c.dec != nil {
		// What the decoder holds back (part of a character), as Flush would
		// give it, without flushing: a continuation completes it.
		peek := *c.dec
		st.Tail = peek.Flush()
	}
	end := time.Now()
	st.TotalMS = ms(end.Sub(start))
	if !first.IsZero() {
		st.FirstTokenMS = ms(first.Sub(start))
		if res.Tokens > 1 {
			st.TokPerSec = float64(res.Tokens-1) / end.Sub(first).Seconds()
		}
	}
	if d.conv != nil {
		st.Pos = d.conv.sess.Pos()
	}
	return st, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (d *Demo) promptTokens(req Request) ([]int, error) {
	if len(req.Tokens) > 0 {
		for i, id := range req.Tokens {
			if id < 0 || id >= d.b.Config.VocabSize {
				return nil, fmt.Errorf("prompt token %d (id %d) is outside the vocabulary of %d", i, id, d.b.Config.VocabSize)
			}
		}
		return req.Tokens, nil
	}
	if d.b.Tokenizer == nil {
		return nil, errNoTokenizer
	}
	return engine.PromptTokens(d.b.Tokenizer, d.b.Config, req.Prompt)
}

// newConversation replaces the conversation by a fresh one.
func (d *Demo) newConversation(p sample.Params, prompt []int) error {
	smp, err := sample.New(p, d.b.Config.VocabSize)
	if err != nil {
		return err
	}
	sess, err := d.eng.NewSession()
	if err != nil {
		return fmt.Errorf("new session: %w", err)
	}
	d.dropConversation()
	c := &conversation{sess: sess, params: p, smp: smp, prompt: append([]int(nil), prompt...), pending: -1}
	if d.b.Tokenizer != nil {
		c.dec = d.b.Tokenizer.NewStreamDecoder()
	}
	d.conv = c
	return nil
}

func (d *Demo) dropConversation() {
	if d.conv != nil {
		d.conv.sess.Close()
		d.conv = nil
	}
}

// retune switches the conversation's sampler to new settings at the same
// position of its random stream.
func (c *conversation) retune(p sample.Params, vocab int) error {
	pos, err := c.smp.RNGState()
	if err != nil {
		return err
	}
	smp, err := sample.New(p, vocab)
	if err != nil {
		return err
	}
	if err := smp.SetRNGState(pos); err != nil {
		return err
	}
	c.smp, c.params = smp, p
	return nil
}

// Logits returns the next-token logits after each prefix of tokens
// (len(tokens) × VocabSize values, row i after tokens[:i+1]), stepping a
// fresh session of the loaded backend: the page's test hook for parity.
func (d *Demo) Logits(tokens []int) ([]float32, error) {
	if len(tokens) == 0 {
		return nil, errors.New("logits: no tokens")
	}
	s, err := d.eng.NewSession()
	if err != nil {
		return nil, fmt.Errorf("logits: %w", err)
	}
	defer s.Close()
	v := d.b.Config.VocabSize
	out := make([]float32, 0, len(tokens)*v)
	for i, t := range tokens {
		if t < 0 || t >= v {
			return nil, fmt.Errorf("logits: token %d (id %d) is outside the vocabulary of %d", i, t, v)
		}
		if err := s.Step(t); err != nil {
			return nil, fmt.Errorf("logits: token %d: %w", i, err)
		}
		l, err := s.Logits()
		if err != nil {
			return nil, fmt.Errorf("logits: token %d: %w", i, err)
		}
		out = append(out, l...)
	}
	return out, nil
}
