package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/runtime/engine"
)

// testAssets stands in for web.FS().
var testAssets = fstest.MapFS{
	"index.html":     {Data: []byte("<!doctype html><title>demo</title>")},
	"js/app.js":      {Data: []byte("console.log('app')")},
	"wasm/main.wasm": {Data: []byte("\x00asm\x01\x00\x00\x00")},
}

// bundleDir writes a random bundle of yaml in a fresh directory, plus a file
// that is not part of it (which must never be served).
func bundleDir(t testing.TB, yaml string, seed uint64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "m")
	if err := modeltest.WriteBundle(dir, yaml, seed, "F32"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("SECRET-IN-BUNDLE-DIR"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "secret.txt"), []byte("SECRET-BESIDE-BUNDLE"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// slowEngine delays every Step and counts them, so tests can catch a
// generation in flight.
type slowEngine struct {
	engine.Engine
	delay time.Duration
	steps atomic.Int64
}

func (e *slowEngine) NewSession() (engine.Session, error) {
	s, err := e.Engine.NewSession()
	if err != nil {
		return nil, err
	}
	return &slowSession{Session: s, e: e}, nil
}

type slowSession struct {
	engine.Session
	e *slowEngine
}

func (s *slowSession) Step(token int) error {
	time.Sleep(s.e.delay)
	s.e.steps.Add(1)
	return s.Session.Step(token)
}

// testModel loads a bundle directory as model name; delay > 0 wraps its
// engine in a slowEngine (returned).
func testModel(t testing.TB, name, dir string, delay time.Duration) (*Model, *slowEngine) {
	t.Helper()
	if delay == 0 {
		m, err := LoadModel(name, os.DirFS(dir), CPUEngine(1))
		if err != nil {
			t.Fatal(err)
		}
		return m, nil
	}
	b, err := engine.LoadBundle(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	slow := &slowEngine{Engine: engine.NewCPU(b.Model), delay: delay}
	m, err := NewModel(name, slow, b.Tokenizer, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	return m, slow
}

// testServer serves models with test assets; cfg's zero fields get small
// defaults. The log goes to the returned buffer.
func testServer(t testing.TB, cfg Config) (*Server, *httptest.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.MaxConcurrent == 0 {
		cfg.MaxConcurrent = 4
	}
	if cfg.MaxTokens == 0 {
		cfg.MaxTokens = 256
	}
	if cfg.Assets == nil {
		cfg.Assets = testAssets
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts, logs
}

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// post sends a JSON body and returns the response (closed by the test).
func post(t testing.TB, url, body string) *http.Response {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// postJSON sends body and decodes the JSON answer into a map.
func postJSON(t testing.TB, url, body string) (int, map[string]any) {
	t.Helper()
	res := post(t, url, body)
	defer res.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("POST %s: status %d, body %q is not JSON: %v", url, res.StatusCode, data, err)
	}
	return res.StatusCode, out
}

// sseEvents reads a whole SSE body and checks its framing: every event is
// one "data: " line and a blank line, the last is [DONE].
func sseEvents(t testing.TB, r io.Reader) []map[string]any {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	var events []map[string]any
	done := false
	for sc.Scan() {
		line := sc.Text()
		if done {
			t.Fatalf("data after [DONE]: %q", line)
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("SSE line %q does not start with \"data: \"", line)
		}
		if !sc.Scan() || sc.Text() != "" {
			t.Fatalf("SSE event %q is not followed by a blank line", line)
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("SSE data %q is not JSON: %v", data, err)
		}
		events = append(events, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !done {
		t.Fatal("stream did not end with data: [DONE]")
	}
	return events
}

// streamText joins the text of completion or chat chunks and returns the
// finish reason of the last choice that had one.
func streamText(events []map[string]any) (text, finish string) {
	var b strings.Builder
	for _, ev := range events {
		choices, _ := ev["choices"].([]any)
		for _, c := range choices {
			c := c.(map[string]any)
			if s, ok := c["text"].(string); ok {
				b.WriteString(s)
			}
			if d, ok := c["delta"].(map[string]any); ok {
				if s, ok := d["content"].(string); ok {
					b.WriteString(s)
				}
			}
			if f, ok := c["finish_reason"].(string); ok {
				finish = f
			}
		}
	}
	return b.String(), finish
}

// choiceText is the text of a non-streamed completion or chat answer.
func choiceText(t testing.TB, out map[string]any) (text, finish string) {
	t.Helper()
	choices, ok := out["choices"].([]any)
	if !ok || len(choices) != 1 {
		t.Fatalf("want one choice, got %v", out)
	}
	c := choices[0].(map[string]any)
	finish, _ = c["finish_reason"].(string)
	if s, ok := c["text"].(string); ok {
		return s, finish
	}
	msg, ok := c["message"].(map[string]any)
	if !ok {
		t.Fatalf("choice has neither text nor message: %v", c)
	}
	if msg["role"] != "assistant" {
		t.Fatalf("message role %v, want assistant", msg["role"])
	}
	s, _ := msg["content"].(string)
	return s, finish
}

// waitFor polls cond for up to 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
