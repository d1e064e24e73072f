package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/sample"
)

const tinyLM = modeltest.TinyLM

// reference generates with runtime/engine directly on the same bundle: the
// text the server must return for the same prompt tokens and settings.
func reference(t *testing.T, dir string, prompts [][]int, maxTokens int, p sample.Params) []string {
	t.Helper()
	b, err := engine.LoadBundle(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.NewCPU(b.Model)
	defer eng.Close()
	sess, err := eng.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	last := -1
	for _, prompt := range prompts {
		if last >= 0 {
			if err := sess.Step(last); err != nil {
				t.Fatal(err)
			}
		}
		var ids []int
		res, err := engine.Generate(context.Background(), sess, prompt, engine.Options{MaxTokens: maxTokens, Params: p, EOS: -1},
			func(id int) error { ids = append(ids, id); return nil })
		if err != nil {
			t.Fatal(err)
		}
		last = res.Last
		out = append(out, b.Tokenizer.Decode(ids))
	}
	return out
}

func bytesOf(s string) []int {
	ids := make([]int, len(s))
	for i := range len(s) {
		ids[i] = int(s[i])
	}
	return ids
}

func TestCompletionMatchesEngine(t *testing.T) {
	dir := bundleDir(t, tinyLM, 7)
	m, _ := testModel(t, "tiny", dir, 0)
	_, ts, _ := testServer(t, Config{Models: []*Model{m}})
	tests := []struct {
		name   string
		body   string
		prompt string
		n      int
		params sample.Params
	}{
		{"greedy", `{"model":"tiny","prompt":"Hello","max_tokens":24,"temperature":0}`, "Hello", 24, sample.Params{}},
		{"seeded", `{"model":"tiny","prompt":"Hello","max_tokens":24,"temperature":0.8,"top_k":40,"top_p":0.9,"seed":42}`, "Hello", 24,
			sample.Params{Temperature: 0.8, TopK: 40, TopP: 0.9, Seed: 42}},
		{"negative seed", `{"model":"tiny","prompt":"ab","max_tokens":8,"seed":-1}`, "ab", 8, sample.Params{Temperature: 1, Seed: 1<<64 - 1}},
		{"prompt array", `{"model":"tiny","prompt":["Hi"],"max_tokens":5,"temperature":0}`, "Hi", 5, sample.Params{}},
		{"token ids", `{"model":"tiny","prompt":[72,105],"max_tokens":5,"temperature":0}`, "Hi", 5, sample.Params{}},
		{"default model and max_tokens", `{"prompt":"Hi","temperature":0}`, "Hi", defaultCompletionMaxTokens, sample.Params{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := reference(t, dir, [][]int{bytesOf(tt.prompt)}, tt.n, tt.params)[0]
			status, out := postJSON(t, ts.URL+"/v1/completions", tt.body)
			if status != 200 {
				t.Fatalf("status %d: %v", status, out)
			}
			text, finish := choiceText(t, out)
			if text != want || finish != "length" {
				t.Errorf("text %q finish %q, want %q length", text, finish, want)
			}
			if out["object"] != "text_completion" || !strings.HasPrefix(out["id"].(string), "cmpl-") || out["model"] != "tiny" {
				t.Errorf("envelope: %v", out)
			}
			u := out["usage"].(map[string]any)
			if u["prompt_tokens"] != float64(len(tt.prompt)) || u["completion_tokens"] != float64(tt.n) || u["total_tokens"] != float64(len(tt.prompt)+tt.n) {
				t.Errorf("usage %v", u)
			}
			// Streamed, the same request gives the same text.
			res := post(t, ts.URL+"/v1/completions", strings.Replace(tt.body, "{", `{"stream":true,`, 1))
			defer res.Body.Close()
			if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Errorf("stream Content-Type %q", ct)
			}
			got, finish := streamText(sseEvents(t, res.Body))
			if got != want || finish != "length" {
				t.Errorf("streamed %q finish %q, want %q length", got, finish, want)
			}
		})
	}
}

func TestChatCompletion(t *testing.T) {
	dir := bundleDir(t, tinyLM, 7)
	m, _ := testModel(t, "tiny", dir, 0)
	_, ts, _ := testServer(t, Config{Models: []*Model{m}})
	msgs := []message{{"system", "Be brief."}, {"user", "Hi"}}
	prompt := chatPrompt(msgs, false)
	if prompt != "System: Be brief.\nUser: Hi\nAssistant:" {
		t.Fatalf("chat prompt %q", prompt)
	}
	want := reference(t, dir, [][]int{bytesOf(prompt)}, 12, sample.Params{})[0]
	body := `{"model":"tiny","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]}],"max_tokens":12,"temperature":0}`
	status, out := postJSON(t, ts.URL+"/v1/chat/completions", body)
	if status != 200 {
		t.Fatalf("status %d: %v", status, out)
	}
	if text, finish := choiceText(t, out); text != want || finish != "length" {
		t.Errorf("chat %q %q, want %q length", text, finish, want)
	}
	if out["object"] != "chat.completion" || !strings.HasPrefix(out["id"].(string), "chatcmpl-") {
		t.Errorf("envelope %v", out)
	}
	res := post(t, ts.URL+"/v1/chat/completions", strings.Replace(body, "{", `{"stream":true,"stream_options":{"include_usage":true},`, 1))
	defer res.Body.Close()
	events := sseEvents(t, res.Body)
	if got, finish := streamText(events); got != want || finish != "length" {
		t.Errorf("streamed %q %q, want %q length", got, finish, want)
	}
	first := events[0]["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any)
	if first["role"] != "assistant" {
		t.Errorf("first chunk's delta %v, want the assistant role", first)
	}
	last := events[len(events)-1]
	if ch := last["choices"].([]any); len(ch) != 0 || last["usage"].(map[string]any)["completion_tokens"] != float64(12) {
		t.Errorf("usage chunk %v", last)
	}
	for _, ev := range events {
		if ev["object"] != "chat.completion.chunk" {
			t.Errorf("chunk object %v", ev["object"])
		}
	}
}

// TestStop cuts at a stop string taken from the greedy text itself, streamed
// and not.
func TestStop(t *testing.T) {
	dir := bundleDir(t, tinyLM, 7)
	m, _ := testModel(t, "tiny", dir, 0)
	_, ts, _ := testServer(t, Config{Models: []*Model{m}})
	full := reference(t, dir, [][]int{bytesOf("Hello")}, 60, sample.Params{})[0]
	runes := []rune(full)
	if len(runes) < 20 {
		t.Fatalf("reference text too short: %q", full)
	}
	stop := string(runes[12:14])
	want := full[:strings.Index(full, stop)]
	stopJSON, _ := json.Marshal([]string{"\x00never\x00", stop})
	for _, stream := range []bool{false, true} {
		body := fmt.Sprintf(`{"model":"tiny","prompt":"Hello","max_tokens":60,"temperature":0,"stop":%s,"stream":%v}`, stopJSON, stream)
		var text, finish string
		if stream {
			res := post(t, ts.URL+"/v1/completions", body)
			text, finish = streamText(sseEvents(t, res.Body))
			res.Body.Close()
		} else {
			status, out := postJSON(t, ts.URL+"/v1/completions", body)
			if status != 200 {
				t.Fatalf("status %d %v", status, out)
			}
			text, finish = choiceText(t, out)
		}
		if text != want || finish != "stop" {
			t.Errorf("stream=%v: %q %q, want %q stop", stream, text, finish, want)
		}
	}
}

func TestStopper(t *testing.T) {
	tests := []struct {
		name    string
		stops   []string
		pieces  []string
		want    string
		stopped bool
	}{
		{"none", nil, []string{"ab", "cd"}, "abcd", false},
		{"inside one piece", []string{"X"}, []string{"abXcd"}, "ab", true},
		{"across pieces", []string{"END"}, []string{"abE", "N", "Dzz"}, "ab", true},
		{"false start", []string{"END"}, []string{"abE", "Nx", "y"}, "abENxy", false},
		{"earliest of several", []string{"cd", "b"}, []string{"abcd"}, "a", true},
		{"tail kept to the end", []string{"xyz"}, []string{"aax", "y"}, "aaxy", false},
		{"multibyte", []string{"é!"}, []string{"caf", "é", "!"}, "caf", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stopper{stops: tt.stops}
			var b strings.Builder
			stopped := false
			for _, p := range tt.pieces {
				out, hit := s.add(p)
				b.WriteString(out)
				if hit {
					stopped = true
					break
				}
			}
			if !stopped {
				b.WriteString(s.flush())
			}
			if b.String() != tt.want || stopped != tt.stopped {
				t.Errorf("got %q stopped=%v, want %q %v", b.String(), stopped, tt.want, tt.stopped)
			}
		})
	}
}

// TestStateContinuation continues a sequence from the state a first request
// returned, and compares with one uninterrupted session.
func TestStateContinuation(t *testing.T) {
	dir := bundleDir(t, tinyLM, 7)
	m, _ := testModel(t, "tiny", dir, 0)
	other, _ := testModel(t, "large", bundleDir(t, modeltest.TinyLarge, 3), 0)
	_, ts, _ := testServer(t, Config{Models: []*Model{m, other}})
	want := reference(t, dir, [][]int{bytesOf("Hello"), bytesOf(" world")}, 10, sample.Params{})
	var state string
	for _, stream := range []bool{false, true} {
		status, out := postJSON(t, ts.URL+"/v1/completions", `{"model":"tiny","prompt":"Hello","max_tokens":10,"temperature":0,"return_state":true}`)
		if status != 200 {
			t.Fatalf("status %d %v", status, out)
		}
		if text, _ := choiceText(t, out); text != want[0] {
			t.Fatalf("first part %q, want %q", text, want[0])
		}
		state, _ = out["state"].(string)
		if _, err := base64.StdEncoding.DecodeString(state); err != nil || state == "" {
			t.Fatalf("state %.40q: %v", state, err)
		}
		body := fmt.Sprintf(`{"model":"tiny","prompt":" world","max_tokens":10,"temperature":0,"state":%q,"stream":%v,"return_state":true}`, state, stream)
		var text string
		if stream {
			res := post(t, ts.URL+"/v1/completions", body)
			events := sseEvents(t, res.Body)
			res.Body.Close()
			text, _ = streamText(events)
			if s, _ := events[len(events)-1]["state"].(string); s == "" {
				t.Error("the last streamed chunk carries no state")
			}
		} else {
			status, out = postJSON(t, ts.URL+"/v1/completions", body)
			if status != 200 {
				t.Fatalf("status %d %v", status, out)
			}
			text, _ = choiceText(t, out)
			if u := out["usage"].(map[string]any); u["prompt_tokens"] != float64(len(" world")) {
				t.Errorf("continued prompt_tokens %v, want %d (no BOS, no history)", u["prompt_tokens"], len(" world"))
			}
		}
		if text != want[1] {
			t.Errorf("stream=%v: continued %q, want %q", stream, text, want[1])
		}
	}
	// A state of one model is refused by another.
	status, out := postJSON(t, ts.URL+"/v1/completions", fmt.Sprintf(`{"model":"large","prompt":"x","state":%q}`, state))
	if status != http.StatusBadRequest || out["error"].(map[string]any)["param"] != "state" {
		t.Errorf("state of another model: %d %v", status, out)
	}
}
