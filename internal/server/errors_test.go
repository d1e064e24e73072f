package server

import (
	"net/http"
	"strings"
	"testing"
)

func TestRequestErrors(t *testing.T) {
	dir := bundleDir(t, tinyLM, 7)
	m, _ := testModel(t, "tiny", dir, 0)
	_, ts, _ := testServer(t, Config{Models: []*Model{m}, MaxTokens: 100})
	huge := `{"prompt":"` + strings.Repeat("a", DefaultMaxBodyBytes) + `"}`
	tests := []struct {
		name, route, body string
		status            int
		param, code       string // "" = not checked
		msg               string // substring of the message
	}{
		{"body over 1 MiB", "completions", huge, 413, "", "request_too_large", "over 1048576 bytes"},
		{"empty body", "completions", ``, 400, "", "invalid_json", "empty"},
		{"malformed", "completions", `{"prompt": "a",`, 400, "", "invalid_json", "malformed JSON"},
		{"syntax", "completions", `{"prompt": 'a'}`, 400, "", "invalid_json", "malformed JSON at byte"},
		{"not an object", "completions", `["a"]`, 400, "", "invalid_json", "must be a JSON object"},
		{"trailing data", "completions", `{"prompt":"a"} {}`, 400, "", "invalid_json", "after the request object"},
		{"max_tokens string", "completions", `{"prompt":"a","max_tokens":"5"}`, 400, "max_tokens", "invalid_type", "want an integer, got string"},
		{"max_tokens float", "completions", `{"prompt":"a","max_tokens":1.5}`, 400, "max_tokens", "invalid_type", "want an integer"},
		{"temperature string", "completions", `{"prompt":"a","temperature":"hot"}`, 400, "temperature", "invalid_type", "want a number"},
		{"stream number", "completions", `{"prompt":"a","stream":1}`, 400, "stream", "invalid_type", "want a boolean"},
		{"model number", "completions", `{"prompt":"a","model":3}`, 400, "model", "invalid_type", "want a string"},
		{"unknown model", "completions", `{"prompt":"a","model":"gpt-4"}`, 400, "model", "model_not_found", `"gpt-4" does not exist`},
		{"max_tokens over the limit", "completions", `{"prompt":"a","max_tokens":101}`, 400, "max_tokens", "invalid_value", "over this server's limit of 100"},
		{"max_completion_tokens over", "chat/completions", `{"messages":[{"role":"user","content":"a"}],"max_completion_tokens":1000}`, 400, "max_completion_tokens", "invalid_value", "limit"},
		{"max_tokens zero", "completions", `{"prompt":"a","max_tokens":0}`, 400, "max_tokens", "invalid_value", "at least 1"},
		{"negative temperature", "completions", `{"prompt":"a","temperature":-1}`, 400, "temperature", "invalid_value", "≥ 0"},
		{"top_p over 1", "completions", `{"prompt":"a","top_p":1.5}`, 400, "top_p", "invalid_value", "top_p"},
		{"top_p zero", "completions", `{"prompt":"a","top_p":0}`, 400, "top_p", "invalid_value", "top_p"},
		{"negative top_k", "completions", `{"prompt":"a","top_k":-2}`, 400, "top_k", "invalid_value", "top_k"},
		{"n 2", "completions", `{"prompt":"a","n":2}`, 400, "n", "invalid_value", "one choice"},
		{"logprobs", "completions", `{"prompt":"a","logprobs":5}`, 400, "logprobs", "unsupported_value", "not supported"},
		{"missing prompt", "completions", `{"model":"tiny"}`, 400, "prompt", "missing_field", "required"},
		{"two prompts", "completions", `{"prompt":["a","b"]}`, 400, "prompt", "invalid_value", "one per request"},
		{"prompt object", "completions", `{"prompt":{"a":1}}`, 400, "prompt", "invalid_type", "want a string"},
		{"token id out of vocab", "completions", `{"prompt":[1,99999]}`, 400, "prompt", "invalid_value", "outside the vocabulary"},
		{"messages to completions", "completions", `{"prompt":"a","messages":[]}`, 400, "messages", "invalid_field", "chat/completions"},
		{"stop number", "completions", `{"prompt":"a","stop":5}`, 400, "stop", "invalid_type", "want a string or an array"},
		{"five stops", "completions", `{"prompt":"a","stop":["a","b","c","d","e"]}`, 400, "stop", "invalid_value", "at most 4"},
		{"empty stop in list", "completions", `{"prompt":"a","stop":["a",""]}`, 400, "stop", "invalid_value", "empty"},
		{"state not base64", "completions", `{"prompt":"a","state":"%%%"}`, 400, "state", "invalid_state", "base64"},
		{"state garbage", "completions", `{"prompt":"a","state":"AAAA"}`, 400, "state", "invalid_state", "not a state of model tiny"},
		{"state without new text", "completions", `{"prompt":"","state":"AAAA"}`, 400, "prompt", "invalid_value", "needs the text that follows"},
		{"no messages", "chat/completions", `{"messages":[]}`, 400, "messages", "missing_field", "at least one"},
		{"bad role", "chat/completions", `{"messages":[{"role":"robot","content":"a"}]}`, 400, "messages[0].role", "invalid_value", "robot"},
		{"missing content", "chat/completions", `{"messages":[{"role":"user"}]}`, 400, "messages[0].content", "missing_field", "required"},
		{"image part", "chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}`, 400, "messages[0].content[0]", "invalid_value", "text"},
		{"messages wrong type", "chat/completions", `{"messages":"hi"}`, 400, "messages", "invalid_type", "want an array"},
		{"prompt to chat", "chat/completions", `{"prompt":"a","messages":[{"role":"user","content":"a"}]}`, 400, "prompt", "invalid_field", "messages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := postJSON(t, ts.URL+"/v1/"+tt.route, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			e, ok := out["error"].(map[string]any)
			if !ok {
				t.Fatalf("no error object: %v", out)
			}
			msg, _ := e["message"].(string)
			if !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not contain %q", msg, tt.msg)
			}
			if _, ok := e["type"].(string); !ok {
				t.Errorf("error without a type: %v", e)
			}
			if p, _ := e["param"].(string); tt.param != "" && p != tt.param {
				t.Errorf("param %q, want %q", p, tt.param)
			}
			if c, _ := e["code"].(string); tt.code != "" && c != tt.code {
				t.Errorf("code %q, want %q", c, tt.code)
			}
		})
	}
}

func TestWrongMethod(t *testing.T) {
	m, _ := testModel(t, "tiny", bundleDir(t, tinyLM, 7), 0)
	_, ts, _ := testServer(t, Config{Models: []*Model{m}})
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/completions", http.StatusMethodNotAllowed},
		{"PUT", "/v1/chat/completions", http.StatusMethodNotAllowed},
		{"POST", "/v1/models", http.StatusMethodNotAllowed},
		{"DELETE", "/models/tiny/manifest.json", http.StatusMethodNotAllowed},
	} {
		req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, res.StatusCode, tt.status)
		}
	}
}

func TestHealthAndModels(t *testing.T) {
	a, _ := testModel(t, "tiny", bundleDir(t, tinyLM, 7), 0)
	s, ts, _ := testServer(t, Config{Models: []*Model{a}})
	res, body := get(t, ts.URL+"/healthz", nil)
	if res.StatusCode != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("healthz %d %s", res.StatusCode, body)
	}
	res, body = get(t, ts.URL+"/v1/models", nil)
	if res.StatusCode != 200 || !strings.Contains(body, `"object":"list"`) || !strings.Contains(body, `"id":"tiny"`) {
		t.Errorf("models %d %s", res.StatusCode, body)
	}
	s.Drain()
	res, _ = get(t, ts.URL+"/healthz", nil)
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("healthz while draining: %d, want 503", res.StatusCode)
	}
	status, out := postJSON(t, ts.URL+"/v1/completions", `{"prompt":"a"}`)
	if status != http.StatusServiceUnavailable {
		t.Errorf("completion while draining: %d %v, want 503", status, out)
	}
}

func TestNewErrors(t *testing.T) {
	m, _ := testModel(t, "tiny", bundleDir(t, tinyLM, 7), 0)
	defer m.Close()
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no models", Config{MaxConcurrent: 1, MaxTokens: 1}, "no models"},
		{"concurrency", Config{Models: []*Model{m}, MaxTokens: 1}, "max concurrent 0"},
		{"tokens", Config{Models: []*Model{m}, MaxConcurrent: 1}, "max tokens 0"},
		{"duplicate", Config{Models: []*Model{m, m}, MaxConcurrent: 1, MaxTokens: 1}, "two models"},
	} {
		if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.want)
		}
	}
	if _, err := LoadModel("../x", nil, CPUEngine(1)); err == nil || !strings.Contains(err.Error(), "model name") {
		t.Errorf("bad name: %v", err)
	}
}
