package tokenizer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// tinyJSON returns a byte-level tokenizer.json with a few merges that spell
// "hello" and " world", with fields of the top-level object replaced by
// over (a nil value deletes a field; "model.x" sets a model field).
func tinyJSON(t *testing.T, over map[string]any) []byte {
	t.Helper()
	enc, _ := byteLevelTables()
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[string(enc[b])] = b
	}
	merges := []string{"h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"}
	for _, m := range merges {
		vocab[strings.ReplaceAll(m, " ", "")] = len(vocab)
	}
	bl := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
	model := map[string]any{"type": "BPE", "vocab": vocab, "merges": merges}
	doc := map[string]any{"version": "1.0", "added_tokens": []any{}, "normalizer": nil,
		"pre_tokenizer": bl, "post_processor": nil, "decoder": bl, "model": model}
	for k, v := range over {
		if mk, ok := strings.CutPrefix(k, "model."); ok {
			model[mk] = v
		} else if v == nil {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// added is an added_tokens entry.
func added(content string, special bool, opts ...string) map[string]any {
	m := map[string]any{"id": 0, "content": content, "special": special, "normalized": !special,
		"single_word": false, "lstrip": false, "rstrip": false}
	for _, o := range opts {
		m[o] = true
	}
	return m
}

func mustParse(t *testing.T, data []byte) *Tokenizer {
	t.Helper()
	tok, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestEncodeTiny(t *testing.T) {
	tok := mustParse(t, tinyJSON(t, map[string]any{
		"added_tokens": []any{added("<|endoftext|>", true), added("  ", false), added("<m>", true, "lstrip", "rstrip"), added("[W]", false, "single_word")},
	}))
	cases := []struct {
		text string
		want []string
	}{
		{"hello world", []string{"hello", "Ġworld"}},
		{"hello<|endoftext|>world", []string{"hello", "<|endoftext|>", "w", "or", "ld"}},
		{"hello    world", []string{"hello", "  ", "  ", "w", "or", "ld"}},
		{"hello   world", []string{"hello", "  ", "Ġworld"}},
		{"a <m>  b", []string{"a", "<m>", "b"}},
		{"[W] x[W]", []string{"[W]", "Ġ", "x", "[", "W", "]"}},
		{"", []string{}},
		{"\xff", []string{"ï", "¿", "½"}},
	}
	for _, c := range cases {
		got := spell(tok, tok.Encode(c.text))
		if !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	if got := tok.VocabSize(); got != 256+9+4 {
		t.Errorf("VocabSize = %d, want %d", got, 256+9+4)
	}
	if id, ok := tok.TokenID("<|endoftext|>"); !ok || id != 265 || !tok.IsSpecial(id) || tok.EOS() != id {
		t.Errorf("TokenID(<|endoftext|>) = %d, %v; special %v; EOS %d", id, ok, tok.IsSpecial(id), tok.EOS())
	}
	if tok.BOS() != -1 || tok.Kind() != KindBPE {
		t.Errorf("BOS %d, Kind %q", tok.BOS(), tok.Kind())
	}
}

// TestAddedTokenIDs: added tokens get Hugging Face's ids, not the file's.
func TestAddedTokenIDs(t *testing.T) {
	a := added("<a>", true)
	a["id"] = 999
	tok := mustParse(t, tinyJSON(t, map[string]any{
		"added_tokens": []any{added("<z>", false), a, added("hello", true), added("<b>", true)},
	}))
	for name, want := range map[string]int{"<z>": 265, "<a>": 266, "hello": 259, "<b>": 267} {
		if got, _ := tok.TokenID(name); got != want {
			t.Errorf("id of %s = %d, want %d", name, got, want)
		}
	}
}

func TestTemplate(t *testing.T) {
	st := func(name string, id int) map[string]any {
		return map[string]any{"id": name, "ids": []int{id}, "tokens": []string{name}}
	}
	tmpl := map[string]any{"type": "TemplateProcessing",
		"single": []any{
			map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}},
			map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
			map[string]any{"SpecialToken": map[string]any{"id": "</s>", "type_id": 0}},
		},
		"special_tokens": map[string]any{"<s>": st("<s>", 265), "</s>": st("</s>", 266)}}
	tok := mustParse(t, tinyJSON(t, map[string]any{
		"added_tokens":   []any{added("<s>", true), added("</s>", true)},
		"post_processor": map[string]any{"type": "Sequence", "processors": []any{map[string]any{"type": "ByteLevel"}, tmpl}},
	}))
	if got, want := tok.Encode("hello"), []int{265, 259, 266}; !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if got, want := tok.EncodeWith("hello", false), []int{259}; !slices.Equal(got, want) {
		t.Errorf("EncodeWith(false) = %v, want %v", got, want)
	}
	if tok.BOS() != 265 || tok.EOS() != 266 {
		t.Errorf("BOS %d EOS %d, want 265 266", tok.BOS(), tok.EOS())
	}
	if got := tok.Decode(tok.Encode("hello world")); got != "<s>hello world</s>" {
		t.Errorf("Decode = %q", got)
	}
}

// TestAddedSplit follows Hugging Face's tests of single_word, lstrip and
// rstrip.
func TestAddedSplit(t *testing.T) {
	type part struct {
		s  string
		id int
	}
	cases := []struct {
		tok  addedToken
		text string
		want []part
	}{
		{addedToken{content: "<mask>", id: 0, singleWord: true}, "<mask> My name <mask> A<mask> <mask>ony <mask>",
			[]part{{"<mask>", 0}, {" My name ", -1}, {"<mask>", 0}, {" A<mask> <mask>ony ", -1}, {"<mask>", 0}}},
		{addedToken{content: "<mask>", id: 0, singleWord: true}, "<mask>, <mask>- ◌̰<mask>",
			[]part{{"<mask>", 0}, {", ", -1}, {"<mask>", 0}, {"- ◌̰<mask>", -1}}},
		{addedToken{content: "<mask>", id: 0, singleWord: true, lstrip: true, rstrip: true}, "Hi <mask> there\t<mask>\t<mask>\u2000",
			[]part{{"Hi", -1}, {" <mask> ", 0}, {"there", -1}, {"\t<mask>\t", 0}, {"<mask>\u2000", 0}}},
	}
	for _, c := range cases {
		var m tokenMatcher
		m.add(c.tok.content, &c.tok)
		var got []part
		m.split(c.text, func(s string, id int) { got = append(got, part{s, id}) })
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: got %+v, want %+v", c.text, got, c.want)
		}
	}
}

func TestValidUTF8(t *testing.T) {
	cases := []struct{ in, want string }{
		{"abc", "abc"},
		{"\xff", "\uFFFD"},
		{"\xfe\xff", "\uFFFD\uFFFD"},
		{"\xe2\x82", "\uFFFD"},
		{"\xe2\x82x", "\uFFFDx"},
		{"\xf0\x9f\x98", "\uFFFD"},
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"\xc0\xaf", "\uFFFD\uFFFD"},
		{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"ok\xe3\x81\x82\xe3\x81", "okあ\uFFFD"},
		{"\xe0\x80\x80", "\uFFFD\uFFFD\uFFFD"},
	}
	for _, c := range cases {
		if got := validUTF8(c.in); got != c.want {
			t.Errorf("validUTF8(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestByteTokenizer(t *testing.T) {
	tok := mustParse(t, []byte(`{"type":"byte","specials":["<|endoftext|>","<pad>"],"eos":"<|endoftext|>","bos":"<pad>","add_bos":true}`))
	if got, want := tok.Encode("hi<|endoftext|>\xff"), []int{257, 'h', 'i', 256, 255}; !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if got, want := tok.EncodeWith("é", false), []int{0xc3, 0xa9}; !slices.Equal(got, want) {
		t.Errorf("EncodeWith(é, false) = %v, want %v", got, want)
	}
	if got := tok.Decode([]int{257, 'h', 'i', 256, 255, 9999, -1}); got != "<pad>hi<|endoftext|>\uFFFD" {
		t.Errorf("Decode = %q", got)
	}
	if tok.VocabSize() != 258 || tok.EOS() != 256 || tok.BOS() != 257 || tok.Kind() != KindByte {
		t.Errorf("VocabSize %d EOS %d BOS %d Kind %q", tok.VocabSize(), tok.EOS(), tok.BOS(), tok.Kind())
	}
	for _, s := range corpus() {
		if utf8.ValidString(s) {
			if got := tok.Decode(tok.EncodeWith(s, false)); got != s {
				t.Errorf("round trip of %q: %q", s, got)
			}
		}
	}
}

// TestStreamDecoder: pieces are whole characters and join to Decode.
func TestStreamDecoder(t *testing.T) {
	byteTok, err := NewByte(ByteSpec{Type: KindByte})
	if err != nil {
		t.Fatal(err)
	}
	d := byteTok.NewStreamDecoder()
	var got []string
	for _, b := range []byte("é🙂\xe2\x82x") {
		got = append(got, d.Add(int(b)))
	}
	got = append(got, d.Add(0xe2), d.Flush())
	want := []string{"", "é", "", "", "", "🙂", "", "", "\uFFFDx", "", "\uFFFD"}
	if !slices.Equal(got, want) {
		t.Errorf("pieces %q, want %q", got, want)
	}
	tok := trainedTokenizer(t, 300)
	for _, s := range append(corpus(), randomTexts(300, 5)...) {
		ids := tok.Encode(s)
		d := tok.NewStreamDecoder()
		var b strings.Builder
		for _, id := range ids {
			p := d.Add(id)
			if !utf8.ValidString(p) {
				t.Fatalf("%q: piece %q is not valid UTF-8", s, p)
			}
			b.WriteString(p)
		}
		b.WriteString(d.Flush())
		if b.String() != tok.Decode(ids) {
			t.Fatalf("%q: stream %q, Decode %q", s, b.String(), tok.Decode(ids))
		}
	}
}

// TestConcurrentEncode: one Tokenizer, several goroutines, same ids.
func TestConcurrentEncode(t *testing.T) {
	tok := trainedTokenizer(t, 300)
	texts := randomTexts(200, 9)
	want := make([][]int, len(texts))
	for i, s := range texts {
		want[i] = tok.Encode(s)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := len(texts) - 1; i >= 0; i-- {
				if got := tok.Encode(texts[i]); !slices.Equal(got, want[i]) {
					errs <- fmt.Sprintf("%q: %v, want %v", texts[i], got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
