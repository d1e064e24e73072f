package tokenizer

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// BenchmarkEncode encodes 1 MiB of English-like text on one goroutine:
// "gpt2" with GPT-2's 50k merges (needs the npm test dependencies), also
// with the merge cache emptied before each pass ("gpt2-cold"), "trained"
// with 2000 merges learnt in the test, and "trained-regexp" with those
// merges behind Llama-3's Split regex (the generic regexp path).
func BenchmarkEncode(b *testing.B) {
	text := englishText(1 << 20)
	run := func(b *testing.B, tok *Tokenizer, cold bool) {
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if cold {
				b.StopTimer()
				tok.model.(*bpeModel).cache.m = map[string][]int32{}
				b.StartTimer()
			}
			n = len(tok.Encode(text))
		}
		b.ReportMetric(float64(len(text))/float64(n), "bytes/token")
	}
	b.Run("trained", func(b *testing.B) { run(b, trainedTokenizer(b, 2000), false) })
	b.Run("trained-regexp", func(b *testing.B) {
		var doc map[string]any
		if err := json.Unmarshal(trainedJSON(b, englishText(200_000), 2000), &doc); err != nil {
			b.Fatal(err)
		}
		doc["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "behavior": "Isolated", "pattern": map[string]any{"Regex": llama3Pattern}},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false},
		}}
		data, err := json.Marshal(doc)
		if err != nil {
			b.Fatal(err)
		}
		tok, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		run(b, tok, false)
	})
	gpt2 := func(b *testing.B) *Tokenizer {
		dir := npmDir(b)
		path := filepath.Join(b.TempDir(), "gpt2.json")
		runNode(b, dir, nil, "gpt2-to-tokenizer-json.js", path)
		tok, err := Load(path)
		if err != nil {
			b.Fatal(err)
		}
		return tok
	}
	b.Run("gpt2", func(b *testing.B) { run(b, gpt2(b), false) })
	b.Run("gpt2-cold", func(b *testing.B) { run(b, gpt2(b), true) })
}
