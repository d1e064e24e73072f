package tokenizer

import (
	"fmt"
	"os"
	"strings"
)

// Kinds of Tokenizer, as Kind reports them.
const (
	KindBPE  = "bpe"  // a tokenizer.json with a BPE model
	KindByte = "byte" // the byte tokenizer (ByteSpec)
)

// model splits one pre-tokenized piece into ids.
type model interface {
	tokenize(piece string, dst []int) []int
}

// Tokenizer converts between text and token ids. Make one with Load, Parse
// or NewByte. It is safe for concurrent use.
type Tokenizer struct {
	kind   string
	lossy  bool         // read invalid UTF-8 as U+FFFD
	raw    tokenMatcher // added tokens matched in the text as given
	normed tokenMatcher // added tokens matched in normalized text
	norm   func(string) string
	pre    preTokenizer
	model  model

	prefix, suffix []int // what the post-processor puts around the ids

	joinSpace bool     // no decoder: Decode joins tokens with spaces
	tokens    []string // id → token text
	known     []bool   // id → whether the id is a token
	special   []bool   // id → whether it is a special token
	decoded   [][]byte // id → the bytes it decodes to
	ids       map[string]int

	bos, eos int
}

// Load reads a tokenizer file: a Hugging Face tokenizer.json or a byte
// tokenizer spec (see Parse).
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", path, err)
	}
	return t, nil
}

// Kind reports KindBPE or KindByte.
func (t *Tokenizer) Kind() string { return t.kind }

// VocabSize returns one more than the largest id the tokenizer knows: the
// model's vocabulary and the added tokens together. A model's embedding may
// be larger (padded); ids past VocabSize decode to nothing.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// Token returns the text of token id as the vocabulary spells it (for a
// byte-level BPE, in byte-level characters such as 'Ġ' for a space), and
// whether id is a token.
func (t *Tokenizer) Token(id int) (string, bool) {
	if id < 0 || id >= len(t.tokens) || !t.known[id] {
		return "", false
	}
	return t.tokens[id], true
}

// TokenID returns the id of a token spelled as the vocabulary spells it,
// added and special tokens included.
func (t *Tokenizer) TokenID(token string) (int, bool) {
	id, ok := t.ids[token]
	return id, ok
}

// IsSpecial reports whether id is a special token.
func (t *Tokenizer) IsSpecial(id int) bool {
	return id >= 0 && id < len(t.special) && t.special[id]
}

// BOS returns the beginning-of-sequence id that Encode puts first, or -1.
func (t *Tokenizer) BOS() int { return t.bos }

// EOS returns the end-of-sequence id: the one Encode puts last, else (for a
// tokenizer.json) the special token <|endoftext|>, </s>, <|end_of_text|> or
// <eos>, first found; -1 when there is none.
func (t *Tokenizer) EOS() int { return t.eos }

// Encode returns the ids of text with the post-processor's special tokens
// (such as a BOS) added, as Hugging Face's encode does by default.
func (t *Tokenizer) Encode(text string) []int { return t.EncodeWith(text, true) }

// EncodeWith is Encode, adding the post-processor's special tokens only
// when addSpecial is true. Special tokens written in the text are matched
// either way.
func (t *Tokenizer) EncodeWith(text string, addSpecial bool) []int {
	if t.lossy {
		text = validUTF8(text)
	}
	ids := make([]int, 0, len(text)/3+len(t.prefix)+len(t.suffix)+1)
	if addSpecial {
		ids = append(ids, t.prefix...)
	}
	piece := func(p string) { ids = t.model.tokenize(p, ids) }
	normed := func(part string, id int) {
		switch {
		case id >= 0:
			ids = append(ids, id)
		case t.pre != nil:
			t.pre.split(part, piece)
		default:
			piece(part)
		}
	}
	t.raw.split(text, func(part string, id int) {
		if id >= 0 {
			ids = append(ids, id)
			return
		}
		if t.norm != nil {
			part = t.norm(part)
		}
		t.normed.split(part, normed)
	})
	if addSpecial {
		ids = append(ids, t.suffix...)
	}
	return ids
}

// Decode returns the text of ids, special tokens included; ids that are not
// tokens are skipped. Bytes that do not form UTF-8 read as U+FFFD, so the
// text is always valid UTF-8. A tokenizer.json without a decoder joins the
// tokens with spaces, as Hugging Face does. For valid UTF-8 s,
// Decode(EncodeWith(s, false)) == s unless the tokenizer changes the text: a
// normalizer that changes s, a Split that removes, added tokens that strip
// spaces.
func (t *Tokenizer) Decode(ids []int) string {
	d := t.NewStreamDecoder()
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(d.Add(id))
	}
	b.WriteString(d.Flush())
	return b.String()
}

// StreamDecoder decodes ids one at a time, as they are generated, returning
// text only in whole UTF-8 characters: the bytes of a character split across
// tokens are held until it is complete. The pieces returned by Add, then
// Flush, join to Decode of the same ids. A StreamDecoder is not safe for
// concurrent use.
type StreamDecoder struct {
	t       *Tokenizer
	pending []byte
	n       int // tokens decoded (for the space-joined form)
}

// NewStreamDecoder returns a StreamDecoder for t.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder { return &StreamDecoder{t: t} }

// Add decodes one more id and returns the text it completes, maybe "".
func (d *StreamDecoder) Add(id int) string {
	t := d.t
	if id < 0 || id >= len(t.tokens) || !t.known[id] {
		return ""
	}
	if t.joinSpace {
		d.n++
		if d.n > 1 {
			return " " + t.tokens[id]
		}
		return t.tokens[id]
	}
	d.pending = append(d.pending, t.decoded[id]...)
	out, used := appendValidRest(nil, d.pending, false)
	d.pending = d.pending[:copy(d.pending, d.pending[used:])]
	return string(out)
}

// Flush returns what is held back (an incomplete character reads as
// U+FFFD) and starts over: the next Add begins a new text.
func (d *StreamDecoder) Flush() string {
	out := string(appendValid(nil, d.pending, true))
	d.pending = d.pending[:0]
	d.n = 0
	return out
}
