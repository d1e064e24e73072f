package tokenizer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzTokenizers returns the tokenizers FuzzEncode runs: a byte-level BPE
// with the GPT-2 splitter and added tokens (no normalizer, so that decoding
// gives the text back), the same with Llama-3's Split regex and NFKC, and
// the byte tokenizer.
func fuzzTokenizers(tb testing.TB) (gpt2, llama, byteTok *Tokenizer) {
	tb.Helper()
	var doc map[string]any
	if err := json.Unmarshal(trainedJSON(tb, englishText(50_000), 300), &doc); err != nil {
		tb.Fatal(err)
	}
	doc["normalizer"] = nil
	doc["added_tokens"] = []any{
		map[string]any{"id": 0, "content": "<|endoftext|>", "special": true, "normalized": false},
		map[string]any{"id": 0, "content": "  ", "special": false, "normalized": true},
	}
	parse := func() *Tokenizer {
		data, err := json.Marshal(doc)
		if err != nil {
			tb.Fatal(err)
		}
		tok, err := Parse(data)
		if err != nil {
			tb.Fatal(err)
		}
		return tok
	}
	gpt2 = parse()
	doc["normalizer"] = map[string]any{"type": "NFKC"}
	doc["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
		map[string]any{"type": "Split", "behavior": "Isolated", "pattern": map[string]any{"Regex": llama3Pattern}},
		map[string]any{"type": "ByteLevel", "add_prefix_space": true, "use_regex": false},
	}}
	llama = parse()
	byteTok, err := NewByte(ByteSpec{Specials: []string{"<|endoftext|>", "<|end|>"}})
	if err != nil {
		tb.Fatal(err)
	}
	return gpt2, llama, byteTok
}

// FuzzEncode: Encode never panics, gives ids inside the vocabulary, decodes
// back to the text (as valid UTF-8), streams the same text, and the GPT-2
// splitter agrees with the regexp.
func FuzzEncode(f *testing.F) {
	for _, s := range corpus() {
		f.Add(s)
	}
	gpt2, llama, byteTok := fuzzTokenizers(f)
	re, err := compileSplitRegex(gpt2Pattern)
	if err != nil {
		f.Fatal(err)
	}
	slow := &splitPre{re: re, behavior: splitIsolated}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range []*Tokenizer{gpt2, llama, byteTok} {
			ids := tok.Encode(s)
			for _, id := range ids {
				if id < 0 || id >= tok.VocabSize() {
					t.Fatalf("%q: id %d outside [0, %d)", s, id, tok.VocabSize())
				}
			}
			text := tok.Decode(ids)
			if !utf8.ValidString(text) {
				t.Fatalf("%q: Decode gave invalid UTF-8 %q", s, text)
			}
			d := tok.NewStreamDecoder()
			var b strings.Builder
			for _, id := range ids {
				b.WriteString(d.Add(id))
			}
			if b.WriteString(d.Flush()); b.String() != text {
				t.Fatalf("%q: streamed %q, Decode %q", s, b.String(), text)
			}
		}
		v := validUTF8(s)
		if got := gpt2.Decode(gpt2.Encode(s)); got != v {
			t.Fatalf("%q: round trip %q, want %q", s, got, v)
		}
		if got := byteTok.Decode(byteTok.Encode(s)); got != v {
			t.Fatalf("%q: byte round trip %q, want %q", s, got, v)
		}
		if fast, want := pieces(gpt2Pre{}, v), pieces(slow, v); !slices.Equal(fast, want) {
			t.Fatalf("%q: gpt2Split %q, regexp %q", v, fast, want)
		}
	})
}

// FuzzParse: Parse refuses bad files with an error, never a panic, and a
// file it accepts encodes and decodes.
func FuzzParse(f *testing.F) {
	f.Add(trainedJSON(f, englishText(2_000), 20))
	f.Add([]byte(`{"type":"byte","specials":["<s>","</s>"],"bos":"<s>","add_bos":true}`))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]},"pre_tokenizer":{"type":"Split","pattern":{"Regex":"\\s+(?!\\S)|\\s+|\\w+"},"behavior":"MergedWithNext","invert":true},"added_tokens":[{"id":3,"content":"<x>","special":true,"lstrip":true}],"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<x>"}},{"Sequence":{"id":"A"}}],"special_tokens":{"<x>":{"ids":[3]}}}}`))
	f.Add([]byte(`{"model":{"vocab":{"a":0},"merges":[["a","a"]]},"normalizer":{"type":"Sequence","normalizers":[{"type":"NFD"}]},"decoder":{"type":"Sequence","decoders":[{"type":"ByteLevel"}]}}`))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0,"<unk>":1},"unk_token":"<unk>","fuse_unk":true,"merges":[]},"pre_tokenizer":{"type":"Split","pattern":{"String":" "},"behavior":"Removed"}}`))
	f.Add([]byte(`{"model":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Parse(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, s := range []string{"", "ab a  b<x>\n", "héllo wörld \xff 12 <s>"} {
			ids := tok.Encode(s)
			for _, id := range ids {
				if id < 0 || id >= tok.VocabSize() {
					t.Fatalf("%q: id %d outside [0, %d)", s, id, tok.VocabSize())
				}
			}
			tok.Decode(ids)
		}
	})
}
