package server

import (
	"testing"
)

// FuzzDecodeRequest: any body gives a checked request or a 400, never a
// panic, and an accepted request keeps the server's limits.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"default","prompt":"Hello","max_tokens":20,"temperature":0.7,"top_p":0.9,"top_k":5,"seed":1,"stop":["\n"],"stream":true}`,
		`{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"text","text":"yo"}]}],"max_completion_tokens":3}`,
		`{"prompt":[1,2,3],"state":"AAAA","return_state":true,"stream_options":{"include_usage":true}}`,
		`{"prompt":["a"],"n":1,"logprobs":null,"echo":false}`,
		`{"prompt":"a","max_tokens":"5"}`, `[]`, `null`, `{`, `{"stop":5}`, ``,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	const limit = 64
	f.Fuzz(func(t *testing.T, body []byte, chat bool) {
		r, aerr := decodeRequest(body, chat, limit)
		if aerr != nil {
			if aerr.Status != 400 || aerr.Message == "" || aerr.Type == "" {
				t.Fatalf("bad error %+v", aerr)
			}
			return
		}
		if r.maxTokens < 1 || r.maxTokens > limit {
			t.Fatalf("max tokens %d outside [1, %d]", r.maxTokens, limit)
		}
		if err := r.params.Validate(); err != nil {
			t.Fatalf("accepted invalid sampling: %v", err)
		}
		if len(r.stops) > maxStops {
			t.Fatalf("%d stops", len(r.stops))
		}
		for _, s := range r.stops {
			if s == "" {
				t.Fatal("empty stop string accepted")
			}
		}
		if chat && len(r.messages) == 0 {
			t.Fatal("chat request without messages accepted")
		}
		if !chat && r.promptIDs == nil && len(r.messages) > 0 {
			t.Fatal("completion request with messages accepted")
		}
	})
}
