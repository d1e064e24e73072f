package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// firstChunk opens a stream and reads up to its first event.
func firstChunk(t *testing.T, url, body string) (*http.Response, *bufio.Reader) {
	t.Helper()
	res := post(t, url, body)
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	br := bufio.NewReader(res.Body)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "data: {") {
		t.Fatalf("first line %q: %v", line, err)
	}
	if blank, err := br.ReadString('\n'); blank != "\n" || err != nil {
		t.Fatalf("first event not ended by a blank line: %q %v", blank, err)
	}
	return res, br
}

func TestTooManyRequests(t *testing.T) {
	m, _ := testModel(t, "tiny", bundleDir(t, tinyLM, 7), 2*time.Millisecond)
	s, ts, _ := testServer(t, Config{Models: []*Model{m}, MaxConcurrent: 2, RetryAfter: 3})
	body := `{"prompt":"Hi","max_tokens":200,"stream":true}`
	var open []*http.Response
	for range 2 {
		res, _ := firstChunk(t, ts.URL+"/v1/completions", body)
		open = append(open, res)
	}
	waitFor(t, "two generations in flight", func() bool { return s.InFlight() == 2 })
	for _, route := range []string{"completions", "chat/completions"} {
		b := `{"prompt":"Hi"}`
		if route != "completions" {
			b = `{"messages":[{"role":"user","content":"Hi"}]}`
		}
		res := post(t, ts.URL+"/v1/"+route, b)
		var out struct {
			Error apiError `json:"error"`
		}
		json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "3" || out.Error.Type != "rate_limit_exceeded" {
			t.Errorf("%s over the limit: %d Retry-After %q error %+v", route, res.StatusCode, res.Header.Get("Retry-After"), out.Error)
		}
	}
	for _, res := range open {
		res.Body.Close()
	}
	waitFor(t, "the slots to free", func() bool { return s.InFlight() == 0 })
	if status, out := postJSON(t, ts.URL+"/v1/completions", `{"prompt":"Hi","max_tokens":2}`); status != 200 {
		t.Errorf("after the load: %d %v", status, out)
	}
}

// TestCancelOnDisconnect drops a stream after its first chunk; the
// generation must stop long before max_tokens.
func TestCancelOnDisconnect(t *testing.T) {
	for _, stream := range []bool{true, false} {
		m, slow := testModel(t, "tiny", bundleDir(t, tinyLM, 7), time.Millisecond)
		s, ts, logs := testServer(t, Config{Models: []*Model{m}, MaxTokens: 100000})
		body := `{"prompt":"Hi","max_tokens":100000,"stream":true}`
		if stream {
			res, _ := firstChunk(t, ts.URL+"/v1/completions", body)
			res.Body.Close()
		} else {
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions", strings.NewReader(`{"prompt":"Hi","max_tokens":100000}`))
			go func() {
				waitFor(t, "the generation to start", func() bool { return slow.steps.Load() > 5 })
				cancel()
			}()
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
				t.Fatal("the request finished instead of being cancelled")
			}
		}
		waitFor(t, "the generation to end", func() bool { return s.InFlight() == 0 })
		if n := slow.steps.Load(); n > 5000 {
			t.Errorf("stream=%v: %d steps after the disconnect; want the generation cancelled", stream, n)
		}
		waitFor(t, "the log line", func() bool { return strings.Contains(logs.String(), "context canceled") })
	}
}

// TestGracefulShutdown stops the server while a stream is running: the
// stream finishes whole, new connections are refused, Run returns nil.
func TestGracefulShutdown(t *testing.T) {
	m, _ := testModel(t, "tiny", bundleDir(t, tinyLM, 7), 2*time.Millisecond)
	s, err := New(Config{Models: []*Model{m}, MaxConcurrent: 2, MaxTokens: 1000, Assets: testAssets, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, ln, s, 10*time.Second) }()
	res, br := firstChunk(t, url+"/v1/completions", `{"prompt":"Hi","max_tokens":150,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}`)
	defer res.Body.Close()
	cancel()
	waitFor(t, "the listener to close", func() bool {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	events := sseEvents(t, br)
	if n := len(events); n == 0 || events[n-1]["usage"].(map[string]any)["completion_tokens"] != float64(150) {
		t.Errorf("the stream in flight did not finish: last event %v", events[len(events)-1])
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the stream ended")
	}
}

// TestShutdownCutsAfterDrain: a stream longer than the drain time is cut.
func TestShutdownCutsAfterDrain(t *testing.T) {
	m, slow := testModel(t, "tiny", bundleDir(t, tinyLM, 7), 2*time.Millisecond)
	s, err := New(Config{Models: []*Model{m}, MaxConcurrent: 2, MaxTokens: 100000, Assets: testAssets, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, ln, s, 100*time.Millisecond) }()
	res, _ := firstChunk(t, "http://"+ln.Addr().String()+"/v1/completions", `{"prompt":"Hi","max_tokens":100000,"stream":true}`)
	defer res.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Run returned nil although the drain time ran out")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	waitFor(t, "the cut generation to end", func() bool { return s.InFlight() == 0 })
	if n := slow.steps.Load(); n > 50000 {
		t.Errorf("%d steps: the generation was not cut", n)
	}
}

func TestLogLine(t *testing.T) {
	m, _ := testModel(t, "tiny", bundleDir(t, tinyLM, 7), 0)
	_, ts, logs := testServer(t, Config{Models: []*Model{m}})
	if status, _ := postJSON(t, ts.URL+"/v1/completions", `{"prompt":"Hi","max_tokens":7}`); status != 200 {
		t.Fatal(status)
	}
	get(t, ts.URL+"/nope", nil)
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, v)
	}
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want one per request: %s", len(lines), logs.String())
	}
	c := lines[0]
	if c["route"] != "POST /v1/completions" || c["status"] != float64(200) || c["prompt_tokens"] != float64(2) ||
		c["completion_tokens"] != float64(7) || c["model"] != "tiny" || c["finish"] != "length" {
		t.Errorf("completion log line %v", c)
	}
	if _, ok := c["duration_ms"].(float64); !ok {
		t.Errorf("no duration_ms in %v", c)
	}
	if lines[1]["status"] != float64(404) || lines[1]["route"] != "GET /" {
		t.Errorf("404 log line %v", lines[1])
	}
}
