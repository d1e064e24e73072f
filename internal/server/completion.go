package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	randv2 "math/rand/v2"
	"net/http"
	"strings"

	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/tokenizer"
)

// handleCompletion serves /v1/completions (chat false) and
// /v1/chat/completions (chat true).
func (s *Server) handleCompletion(chat bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ri := info(r)
		fail := func(e *apiError, retryAfter int) {
			ri.err = e.Message
			writeError(w, e, retryAfter)
		}
		body, aerr := s.readBody(w, r)
		if aerr != nil {
			fail(aerr, 0)
			return
		}
		req, aerr := decodeRequest(body, chat, s.cfg.MaxTokens)
		if aerr != nil {
			fail(aerr, 0)
			return
		}
		m, aerr := s.model(req.model)
		if aerr != nil {
			fail(aerr, 0)
			return
		}
		ri.model = m.name
		prompt, aerr := promptTokens(m, req)
		if aerr != nil {
			fail(aerr, 0)
			return
		}
		ri.promptTokens = len(prompt)
		if s.draining.Load() {
			fail(newError(http.StatusServiceUnavailable, "server_error", "shutting_down", "the server is shutting down"), s.cfg.RetryAfter)
			return
		}
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		default:
			fail(newError(http.StatusTooManyRequests, "rate_limit_exceeded", "rate_limit_exceeded",
				fmt.Sprintf("the server is running its limit of %d generations; retry later", cap(s.sem))), s.cfg.RetryAfter)
			return
		}
		s.inflight.Add(1)
		defer s.inflight.Add(-1)

		sess, err := m.session()
		if err != nil {
			fail(newError(http.StatusInternalServerError, "server_error", "", err.Error()), 0)
			return
		}
		defer m.release(sess)
		if req.state != nil {
			if err := sess.RestoreState(req.state); err != nil {
				fail(badRequest("state", "invalid_state", fmt.Sprintf("state: not a state of model %s: %v", m.name, err)), 0)
				return
			}
		}
		if err := sess.Prefill(r.Context(), prompt); err != nil {
			ri.err = err.Error()
			if r.Context().Err() == nil {
				fail(newError(http.StatusInternalServerError, "server_error", "", "prompt: "+err.Error()), 0)
			}
			return
		}
		g := &generation{m: m, req: req, sess: sess, dec: m.tok.NewStreamDecoder(), stop: stopper{stops: req.stops},
			id: newID(chat), created: s.cfg.Now().Unix(), promptTokens: len(prompt)}
		if req.stream {
			err = s.stream(w, r, g)
		} else {
			err = s.complete(w, r, g)
		}
		ri.completionTokens = g.res.Tokens
		ri.finish = g.res.Finish
		if err != nil {
			ri.err = err.Error()
		}
	}
}

// readBody reads at most MaxBodyBytes of the body (413 above).
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	max := s.cfg.MaxBodyBytes
	tooLarge := newError(http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large",
		fmt.Sprintf("the request body is over %d bytes", max))
	if r.ContentLength > max {
		return nil, tooLarge
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge
	case err != nil:
		return nil, badRequest("", "invalid_body", "read body: "+err.Error())
	}
	return data, nil
}

// model finds a model by name; "" is the first.
func (s *Server) model(name string) (*Model, *apiError) {
	if name == "" {
		return s.cfg.Models[0], nil
	}
	if m, ok := s.models[name]; ok {
		return m, nil
	}
	names := make([]string, len(s.cfg.Models))
	for i, m := range s.cfg.Models {
		names[i] = m.name
	}
	return nil, badRequest("model", "model_not_found", fmt.Sprintf("model %q does not exist; this server has %s", name, strings.Join(names, ", ")))
}

// chatPrompt writes messages as a plain transcript, one "Role: text" line
// each, and opens the assistant's turn. After a saved state it starts on a
// new line, since the state ends where the last reply did.
func chatPrompt(msgs []message, continued bool) string {
	var b strings.Builder
	if continued {
		b.WriteByte('\n')
	}
	for _, m := range msgs {
		switch m.Role {
		case "system", "developer":
			b.WriteString("System: ")
		case "user":
			b.WriteString("User: ")
		default:
			b.WriteString("Assistant: ")
		}
		b.WriteString(m.Content)
		b.WriteByte('\n')
	}
	b.WriteString("Assistant:")
	return b.String()
}

// promptTokens encodes the request's prompt. A continuation of a saved
// state gets no BOS or other added tokens, and must add at least one token.
func promptTokens(m *Model, req *request) ([]int, *apiError) {
	cfg := m.eng.Config()
	if req.promptIDs != nil {
		for i, id := range req.promptIDs {
			if id < 0 || id >= cfg.VocabSize {
				return nil, badRequest("prompt", "invalid_value", fmt.Sprintf("prompt[%d]: token id %d is outside the vocabulary of %d", i, id, cfg.VocabSize))
			}
		}
		return req.promptIDs, nil
	}
	text := req.prompt
	if req.chat {
		text = chatPrompt(req.messages, req.state != nil)
	}
	if req.state == nil {
		ids, err := engine.PromptTokens(m.tok, cfg, text)
		if err != nil {
			return nil, badRequest("prompt", "invalid_value", err.Error())
		}
		return ids, nil
	}
	ids := m.tok.EncodeWith(text, false)
	if len(ids) == 0 {
		return nil, badRequest("prompt", "invalid_value", "prompt: empty; a request with a state needs the text that follows it")
	}
	for i, id := range ids {
		if id >= cfg.VocabSize {
			return nil, badRequest("prompt", "invalid_value", fmt.Sprintf("prompt: token %d (id %d) is outside the model's vocabulary of %d", i, id, cfg.VocabSize))
		}
	}
	return ids, nil
}

// generation is one request's sampling run on a prefilled session.
type generation struct {
	m            *Model
	req          *request
	sess         engine.Session
	dec          *tokenizer.StreamDecoder
	stop         stopper
	id           string
	created      int64
	promptTokens int
	res          engine.Result
}

// run samples until the end and hands each piece of visible text to out.
func (g *generation) run(ctx context.Context, out func(string) error) error {
	opts := engine.Options{MaxTokens: g.req.maxTokens, Params: g.req.params, EOS: g.m.eos}
	stopped := false
	show := func(text string) error {
		piece, hit := g.stop.add(text)
		if piece != "" {
			if err := out(piece); err != nil {
				return err
			}
		}
		if hit {
			stopped = true
			return engine.ErrStop
		}
		return nil
	}
	res, err := engine.Generate(ctx, g.sess, nil, opts, func(id int) error {
		if g.m.tok.IsSpecial(id) {
			return nil
		}
		if text := g.dec.Add(id); text != "" {
			return show(text)
		}
		return nil
	})
	g.res = res
	if err != nil || stopped {
		return err
	}
	if err := show(g.dec.Flush()); err != nil {
		if errors.Is(err, engine.ErrStop) {
			g.res.Finish = engine.FinishStop
			return nil
		}
		return err
	}
	if tail := g.stop.flush(); tail != "" {
		return out(tail)
	}
	return nil
}

// state consumes the last sampled token and returns the session's state,
// base64, so that it covers all the text of the sequence.
func (g *generation) state() (string, error) {
	if g.res.Last >= 0 {
		if err := g.sess.Step(g.res.Last); err != nil {
			return "", fmt.Errorf("state: %w", err)
		}
		g.res.Last = -1
	}
	b, err := g.sess.MarshalState()
	if err != nil {
		return "", fmt.Errorf("state: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func newID(chat bool) string {
	var b [12]byte
	rand.Read(b[:])
	if chat {
		return "chatcmpl-" + hex.EncodeToString(b[:])
	}
	return "cmpl-" + hex.EncodeToString(b[:])
}

// randomSeed seeds requests that give no seed.
func randomSeed() uint64 { return randv2.Uint64() }
