package server

import (
	"encoding/json"
	"net/http"
	"strings"
)

// usage counts the tokens of a request.
type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// chatMessage is a chat reply or a streamed delta of one.
type chatMessage struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

// choice is one choice of a completion or a chunk of one.
type choice struct {
	Index        int          `json:"index"`
	Text         *string      `json:"text,omitempty"`
	Message      *chatMessage `json:"message,omitempty"`
	Delta        *chatMessage `json:"delta,omitempty"`
	Logprobs     any          `json:"logprobs"`
	FinishReason *string      `json:"finish_reason"`
}

// completion is a response body or one streamed chunk. State is this
// server's extension: the recurrent state after the text, base64.
type completion struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Created int64    `json:"created"`
	Model   string   `json:"model"`
	Choices []choice `json:"choices"`
	Usage   *usage   `json:"usage,omitempty"`
	State   string   `json:"state,omitempty"`
}

func (g *generation) usage() *usage {
	return &usage{PromptTokens: g.promptTokens, CompletionTokens: g.res.Tokens, TotalTokens: g.promptTokens + g.res.Tokens}
}

// complete answers with one JSON body after the whole generation.
func (s *Server) complete(w http.ResponseWriter, r *http.Request, g *generation) error {
	var text strings.Builder
	if err := g.run(r.Context(), func(piece string) error {
		text.WriteString(piece)
		return nil
	}); err != nil {
		if r.Context().Err() == nil {
			writeError(w, newError(http.StatusInternalServerError, "server_error", "", err.Error()), 0)
		}
		return err
	}
	out := completion{ID: g.id, Created: g.created, Model: g.m.name, Usage: g.usage()}
	finish := g.res.Finish
	t := text.String()
	if g.req.chat {
		out.Object = "chat.completion"
		out.Choices = []choice{{Message: &chatMessage{Role: "assistant", Content: &t}, FinishReason: &finish}}
	} else {
		out.Object = "text_completion"
		out.Choices = []choice{{Text: &t, FinishReason: &finish}}
	}
	if g.req.returnState {
		st, err := g.state()
		if err != nil {
			writeError(w, newError(http.StatusInternalServerError, "server_error", "", err.Error()), 0)
			return err
		}
		out.State = st
	}
	writeJSON(w, out)
	return nil
}

// sse writes server-sent events, flushing each.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (e *sse) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return e.raw(b)
}

func (e *sse) raw(b []byte) error {
	buf := make([]byte, 0, len(b)+8)
	buf = append(buf, "data: "...)
	buf = append(buf, b...)
	buf = append(buf, "\n\n"...)
	if _, err := e.w.Write(buf); err != nil {
		return err
	}
	return e.rc.Flush()
}

// stream answers with SSE chunks as the text comes, a last chunk with the
// finish reason (and the state when asked), a usage chunk when asked, then
// [DONE].
func (s *Server) stream(w http.ResponseWriter, r *http.Request, g *generation) error {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ev := &sse{w: w, rc: http.NewResponseController(w)}
	chunk := completion{ID: g.id, Created: g.created, Model: g.m.name, Object: "text_completion"}
	if g.req.chat {
		chunk.Object = "chat.completion.chunk"
		empty := ""
		chunk.Choices = []choice{{Delta: &chatMessage{Role: "assistant", Content: &empty}}}
		if err := ev.send(chunk); err != nil {
			return err
		}
	}
	piece := func(text string) error {
		if g.req.chat {
			chunk.Choices = []choice{{Delta: &chatMessage{Content: &text}}}
		} else {
			chunk.Choices = []choice{{Text: &text}}
		}
		return ev.send(chunk)
	}
	if err := g.run(r.Context(), piece); err != nil {
		if r.Context().Err() == nil {
			ev.send(map[string]any{"error": newError(http.StatusInternalServerError, "server_error", "", err.Error())})
		}
		return err
	}
	finish := g.res.Finish
	empty := ""
	if g.req.chat {
		chunk.Choices = []choice{{Delta: &chatMessage{}, FinishReason: &finish}}
	} else {
		chunk.Choices = []choice{{Text: &empty, FinishReason: &finish}}
	}
	if g.req.returnState {
		st, err := g.state()
		if err != nil {
			ev.send(map[string]any{"error": newError(http.StatusInternalServerError, "server_error", "", err.Error())})
			return err
		}
		chunk.State = st
	}
	if err := ev.send(chunk); err != nil {
		return err
	}
	chunk.State = ""
	if g.req.includeUsage {
		chunk.Choices = []choice{}
		chunk.Usage = g.usage()
		if err := ev.send(chunk); err != nil {
			return err
		}
	}
	return ev.raw([]byte("[DONE]"))
}
