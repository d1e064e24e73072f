package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/xlstm-go/xlstm/runtime/sample"
)

// Defaults of the OpenAI API where a request leaves a field out.
const (
	defaultTemperature         = 1.0
	defaultCompletionMaxTokens = 16 // /v1/completions; chat defaults to the server's limit
	maxStops                   = 4
)

// message is one chat message.
type message struct {
	Role    string
	Content string
}

// request is a decoded and checked body of /v1/completions (chat false) or
// /v1/chat/completions (chat true).
type request struct {
	chat         bool
	model        string // "" = the first model
	prompt       string // completions, as text
	promptIDs    []int  // completions, as token ids (prompt is then unused)
	messages     []message
	maxTokens    int
	params       sample.Params
	stops        []string
	stream       bool
	includeUsage bool
	state        []byte // recurrent state to continue from (extension), nil for none
	returnState  bool   // return the state after the generation (extension)
}

// wireRequest is the JSON body; pointers and raw values tell absent (or
// null) fields apart and let each field's type error name the field.
type wireRequest struct {
	Model               *string         `json:"model"`
	Prompt              json.RawMessage `json:"prompt"`
	Messages            []wireMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	TopK                *int            `json:"top_k"`
	Seed                *int64          `json:"seed"`
	Stop                json.RawMessage `json:"stop"`
	Stream              *bool           `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage *bool `json:"include_usage"`
	} `json:"stream_options"`
	N           *int            `json:"n"`
	Logprobs    json.RawMessage `json:"logprobs"`
	Echo        *bool           `json:"echo"`
	State       *string         `json:"state"`
	ReturnState *bool           `json:"return_state"`
}

type wireMessage struct {
	Role    *string         `json:"role"`
	Content json.RawMessage `json:"content"`
}

// decodeRequest parses and checks a request body against the server's
// max-tokens limit. Unknown fields are ignored, as OpenAI clients send
// many; known ones of the wrong type or out of range are an error naming
// them.
func decodeRequest(body []byte, chat bool, maxTokensLimit int) (*request, *apiError) {
	var w wireRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("", "invalid_json", "malformed JSON: data after the request object")
	}
	r := &request{chat: chat}
	if w.Model != nil {
		r.model = *w.Model
	}
	if err := r.decodeInput(&w); err != nil {
		return nil, err
	}
	if err := r.decodeLimits(&w, maxTokensLimit); err != nil {
		return nil, err
	}
	if err := r.decodeSampling(&w); err != nil {
		return nil, err
	}
	if err := r.decodeStop(w.Stop); err != nil {
		return nil, err
	}
	if w.State != nil && *w.State != "" {
		st, err := base64.StdEncoding.DecodeString(*w.State)
		if err != nil {
			return nil, badRequest("state", "invalid_state", "state: not standard base64: "+err.Error())
		}
		r.state = st
	}
	r.returnState = w.ReturnState != nil && *w.ReturnState
	return r, nil
}

// jsonError turns a decoding error into a 400 naming the field or offset.
func jsonError(err error) *apiError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ) && typ.Field == "":
		return badRequest("", "invalid_json", fmt.Sprintf("the request body must be a JSON object, not %s", typ.Value))
	case errors.As(err, &typ):
		return badRequest(typ.Field, "invalid_type", fmt.Sprintf("%s: want %s, got %s", typ.Field, kindName(typ.Type.String()), typ.Value))
	case errors.As(err, &syn):
		return badRequest("", "invalid_json", fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, err))
	case errors.Is(err, io.EOF):
		return badRequest("", "invalid_json", "empty request body: want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "invalid_json", "malformed JSON: the body ends early")
	}
	return badRequest("", "invalid_json", "malformed JSON: "+err.Error())
}

// kindName says a Go type as a JSON type.
func kindName(goType string) string {
	goType = strings.TrimPrefix(goType, "*")
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "a boolean"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// decodeInput reads prompt (completions) or messages (chat).
func (r *request) decodeInput(w *wireRequest) *apiError {
	if r.chat {
		if !isNull(w.Prompt) {
			return badRequest("prompt", "invalid_field", "prompt: chat completions take messages, not a prompt")
		}
		if len(w.Messages) == 0 {
			return badRequest("messages", "missing_field", "messages: want at least one message")
		}
		for i, m := range w.Messages {
			msg, err := decodeMessage(i, m)
			if err != nil {
				return err
			}
			r.messages = append(r.messages, msg)
		}
		return nil
	}
	if w.Messages != nil {
		return badRequest("messages", "invalid_field", "messages: use /v1/chat/completions for messages")
	}
	if isNull(w.Prompt) {
		return badRequest("prompt", "missing_field", "prompt: required (a string, an array of one string, or an array of token ids)")
	}
	var s string
	if json.Unmarshal(w.Prompt, &s) == nil {
		r.prompt = s
		return nil
	}
	var ss []string
	if json.Unmarshal(w.Prompt, &ss) == nil {
		if len(ss) != 1 {
			return badRequest("prompt", "invalid_value", fmt.Sprintf("prompt: %d prompts given; one per request is supported", len(ss)))
		}
		r.prompt = ss[0]
		return nil
	}
	var ids []int
	if json.Unmarshal(w.Prompt, &ids) == nil {
		if len(ids) == 0 {
			return badRequest("prompt", "invalid_value", "prompt: the token array is empty")
		}
		r.promptIDs = ids
		return nil
	}
	return badRequest("prompt", "invalid_type", "prompt: want a string, an array of one string, or an array of token ids")
}

func decodeMessage(i int, m wireMessage) (message, *apiError) {
	param := fmt.Sprintf("messages[%d]", i)
	if m.Role == nil {
		return message{}, badRequest(param+".role", "missing_field", param+".role: required")
	}
	switch *m.Role {
	case "system", "developer", "user", "assistant":
	default:
		return message{}, badRequest(param+".role", "invalid_value", fmt.Sprintf("%s.role: %q: want system, developer, user or assistant", param, *m.Role))
	}
	if isNull(m.Content) {
		return message{}, badRequest(param+".content", "missing_field", param+".content: required")
	}
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		return message{Role: *m.Role, Content: s}, nil
	}
	var parts []struct {
		Type *string `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(m.Content, &parts); err != nil {
		return message{}, badRequest(param+".content", "invalid_type", param+".content: want a string or an array of text parts")
	}
	var b strings.Builder
	for j, p := range parts {
		if p.Type == nil || *p.Type != "text" || p.Text == nil {
			return message{}, badRequest(fmt.Sprintf("%s.content[%d]", param, j), "invalid_value", fmt.Sprintf("%s.content[%d]: only {\"type\": \"text\", \"text\": ...} parts are supported", param, j))
		}
		b.WriteString(*p.Text)
	}
	return message{Role: *m.Role, Content: b.String()}, nil
}

// decodeLimits reads max_tokens and the fields this server supports only at
// their default.
func (r *request) decodeLimits(w *wireRequest, limit int) *apiError {
	param, n := "max_tokens", w.MaxTokens
	if w.MaxCompletionTokens != nil {
		param, n = "max_completion_tokens", w.MaxCompletionTokens
	}
	switch {
	case n == nil && r.chat:
		r.maxTokens = limit
	case n == nil:
		r.maxTokens = min(defaultCompletionMaxTokens, limit)
	case *n < 1:
		return badRequest(param, "invalid_value", fmt.Sprintf("%s: %d: want at least 1", param, *n))
	case *n > limit:
		return badRequest(param, "invalid_value", fmt.Sprintf("%s: %d is over this server's limit of %d", param, *n, limit))
	default:
		r.maxTokens = *n
	}
	if w.N != nil && *w.N != 1 {
		return badRequest("n", "invalid_value", fmt.Sprintf("n: %d: only one choice per request is supported", *w.N))
	}
	if !isNull(w.Logprobs) && string(w.Logprobs) != "false" && string(w.Logprobs) != "0" {
		return badRequest("logprobs", "unsupported_value", "logprobs: not supported")
	}
	if w.Echo != nil && *w.Echo {
		return badRequest("echo", "unsupported_value", "echo: not supported")
	}
	r.stream = w.Stream != nil && *w.Stream
	if o := w.StreamOptions; o != nil && o.IncludeUsage != nil {
		r.includeUsage = *o.IncludeUsage
	}
	return nil
}

// decodeSampling reads temperature, top_p, top_k and seed.
func (r *request) decodeSampling(w *wireRequest) *apiError {
	p := sample.Params{Temperature: defaultTemperature, Seed: randomSeed()}
	if t := w.Temperature; t != nil {
		if *t < 0 || math.IsNaN(*t) || math.IsInf(*t, 0) {
			return badRequest("temperature", "invalid_value", fmt.Sprintf("temperature: %v: want a finite number ≥ 0", *t))
		}
		p.Temperature = *t
	}
	if v := w.TopP; v != nil {
		if !(*v > 0 && *v <= 1) {
			return badRequest("top_p", "invalid_value", fmt.Sprintf("top_p: %v: want 0 < top_p ≤ 1", *v))
		}
		p.TopP = *v
	}
	if k := w.TopK; k != nil {
		if *k < 0 {
			return badRequest("top_k", "invalid_value", fmt.Sprintf("top_k: %d: want ≥ 0 (0 = off)", *k))
		}
		p.TopK = *k
	}
	if s := w.Seed; s != nil {
		p.Seed = uint64(*s)
	}
	if err := p.Validate(); err != nil {
		return badRequest("", "invalid_value", err.Error())
	}
	r.params = p
	return nil
}

// decodeStop reads stop: a string or up to four strings.
func (r *request) decodeStop(raw json.RawMessage) *apiError {
	if isNull(raw) {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil
		}
		r.stops = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return badRequest("stop", "invalid_type", "stop: want a string or an array of strings")
	}
	if len(many) > maxStops {
		return badRequest("stop", "invalid_value", fmt.Sprintf("stop: %d strings; at most %d", len(many), maxStops))
	}
	for i, s := range many {
		if s == "" {
			return badRequest("stop", "invalid_value", fmt.Sprintf("stop[%d]: empty", i))
		}
	}
	r.stops = many
	return nil
}
