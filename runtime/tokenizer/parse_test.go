package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseRefuses: bad or unsupported files are one clear error each,
// naming what is wrong.
func TestParseRefuses(t *testing.T) {
	bl := map[string]any{"type": "ByteLevel", "add_prefix_space": false}
	typed := func(typ string) map[string]any { return map[string]any{"type": typ} }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not JSON", []byte("{"), "not a JSON object"},
		{"array", []byte("[]"), "not a JSON object"},
		{"empty object", []byte("{}"), `no "model"`},
		{"unknown type", []byte(`{"type":"sentencepiece"}`), `"sentencepiece"`},
		{"byte spec typo", []byte(`{"type":"byte","special":["x"]}`), `"special"`},
		{"byte bos not special", []byte(`{"type":"byte","specials":["<s>"],"bos":"<b>"}`), `"<b>"`},
		{"byte duplicate special", []byte(`{"type":"byte","specials":["<s>","<s>"]}`), "duplicate"},
		{"byte add_eos without eos", []byte(`{"type":"byte","add_eos":true}`), "add_eos"},
		{"normalizer", tinyJSON(t, map[string]any{"normalizer": typed("Lowercase")}), `"Lowercase"`},
		{"normalizer in sequence", tinyJSON(t, map[string]any{"normalizer": map[string]any{"type": "Sequence", "normalizers": []any{typed("NFC"), typed("Strip")}}}), `"Strip"`},
		{"pre-tokenizer", tinyJSON(t, map[string]any{"pre_tokenizer": typed("Whitespace")}), `"Whitespace"`},
		{"ByteLevel not last", tinyJSON(t, map[string]any{"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{bl, typed("Digits")}}}), "last"},
		{"ByteLevel without add_prefix_space", tinyJSON(t, map[string]any{"pre_tokenizer": typed("ByteLevel")}), "add_prefix_space"},
		{"Split behavior", tinyJSON(t, map[string]any{"pre_tokenizer": map[string]any{"type": "Split", "pattern": map[string]any{"Regex": "a"}, "behavior": "Sideways"}}), `"Sideways"`},
		{"Split look-behind", tinyJSON(t, map[string]any{"pre_tokenizer": map[string]any{"type": "Split", "pattern": map[string]any{"Regex": "(?<=a)b"}, "behavior": "Isolated"}}), "look-around"},
		{"Split pattern", tinyJSON(t, map[string]any{"pre_tokenizer": map[string]any{"type": "Split", "pattern": map[string]any{}, "behavior": "Isolated"}}), "Split pattern"},
		{"model type", tinyJSON(t, map[string]any{"model.type": "WordPiece"}), `"WordPiece"`},
		{"dropout", tinyJSON(t, map[string]any{"model.dropout": 0.1}), "dropout"},
		{"byte_fallback", tinyJSON(t, map[string]any{"model.byte_fallback": true}), "byte_fallback"},
		{"subword prefix", tinyJSON(t, map[string]any{"model.continuing_subword_prefix": "##"}), "continuing_subword_prefix"},
		{"unk not in vocab", tinyJSON(t, map[string]any{"model.unk_token": "<unk>"}), `"<unk>"`},
		{"merge with three parts", tinyJSON(t, map[string]any{"model.merges": []string{"a b c"}}), "merges[0]"},
		{"merge of unknown token", tinyJSON(t, map[string]any{"model.merges": [][]string{{"h", "e"}, {"zz", "e"}}}), `"zz"`},
		{"merge result unknown", tinyJSON(t, map[string]any{"model.merges": []string{"a b"}}), `"ab"`},
		{"merges not a list", tinyJSON(t, map[string]any{"model.merges": 3}), "merges"},
		{"vocab id negative", tinyJSON(t, map[string]any{"model.vocab": map[string]int{"a": -1}}), "-1"},
		{"vocab id huge", tinyJSON(t, map[string]any{"model.vocab": map[string]int{"a": 1 << 30}}), "1073741824"},
		{"vocab not a map", tinyJSON(t, map[string]any{"model.vocab": []int{1}}), "model"},
		{"post-processor", tinyJSON(t, map[string]any{"post_processor": typed("Fancy")}), `"Fancy"`},
		{"template without A", tinyJSON(t, map[string]any{"post_processor": map[string]any{"type": "TemplateProcessing", "single": []any{}}}), "sequence A"},
		{"template unknown token", tinyJSON(t, map[string]any{"post_processor": map[string]any{"type": "TemplateProcessing", "single": []any{
			map[string]any{"SpecialToken": map[string]any{"id": "<s>"}}, map[string]any{"Sequence": map[string]any{"id": "A"}}}}}), `"<s>"`},
		{"template id not in vocab", tinyJSON(t, map[string]any{"post_processor": map[string]any{"type": "TemplateProcessing", "single": []any{
			map[string]any{"SpecialToken": map[string]any{"id": "<s>"}}, map[string]any{"Sequence": map[string]any{"id": "A"}}},
			"special_tokens": map[string]any{"<s>": map[string]any{"ids": []int{5000}}}}}), "5000"},
		{"decoder", tinyJSON(t, map[string]any{"decoder": typed("WordPiece")}), `"WordPiece"`},
		{"component without type", tinyJSON(t, map[string]any{"normalizer": map[string]any{}}), `no "type"`},
		{"added tokens not a list", tinyJSON(t, map[string]any{"added_tokens": 7}), "added_tokens"},
	}
	for _, c := range cases {
		_, err := Parse(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %s", c.name, err, c.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(p, tinyJSON(t, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Decode(tok.Encode("hello world")); got != "hello world" {
		t.Errorf("round trip: %q", got)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: err = %v", err)
	}
	if err := os.WriteFile(p, []byte(`{"model":{"type":"Unigram"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "Unigram") {
		t.Errorf("bad file: err = %v, want the path and the kind", err)
	}
}
