package tokenizer

import (
	"errors"
	"fmt"
	"slices"
)

// ByteSpec describes a byte tokenizer; its JSON form is what a model bundle
// or a tokenizer file holds for a byte-level model, for example
//
//	{"type": "byte", "specials": ["<|endoftext|>"], "eos": "<|endoftext|>"}
//
// Ids 0-255 are the bytes (Token spells byte b as the rune U+00bb), and
// Specials get ids 256, 257, ... in order.
// Specials written in the text are matched (leftmost, then longest) before
// the bytes. BOS and EOS name specials; AddBOS and AddEOS make Encode put
// them around the ids.
type ByteSpec struct {
	Type     string   `json:"type"` // "byte"
	Specials []string `json:"specials,omitempty"`
	BOS      string   `json:"bos,omitempty"`
	EOS      string   `json:"eos,omitempty"`
	AddBOS   bool     `json:"add_bos,omitempty"`
	AddEOS   bool     `json:"add_eos,omitempty"`
}

// byteModel is the byte tokenizer's model: one id per byte.
type byteModel struct{}

func (byteModel) tokenize(piece string, dst []int) []int {
	for i := 0; i < len(piece); i++ {
		dst = append(dst, int(piece[i]))
	}
	return dst
}

// NewByte returns the byte tokenizer spec describes. Its Encode keeps the
// bytes as they are, valid UTF-8 or not.
func NewByte(spec ByteSpec) (*Tokenizer, error) {
	if spec.Type != "" && spec.Type != KindByte {
		return nil, fmt.Errorf("byte tokenizer: type %q, want %q", spec.Type, KindByte)
	}
	n := 256 + len(spec.Specials)
	t := &Tokenizer{
		kind:    KindByte,
		model:   byteModel{},
		tokens:  make([]string, n),
		known:   make([]bool, n),
		special: make([]bool, n),
		decoded: make([][]byte, n),
		ids:     make(map[string]int, n),
		bos:     -1,
		eos:     -1,
	}
	for b := 0; b < 256; b++ {
		t.tokens[b], t.known[b], t.decoded[b] = string(rune(b)), true, []byte{byte(b)}
		t.ids[t.tokens[b]] = b
	}
	for i, s := range spec.Specials {
		switch {
		case s == "":
			return nil, fmt.Errorf("byte tokenizer: specials[%d] is empty", i)
		case slices.Contains(spec.Specials[:i], s):
			return nil, fmt.Errorf("byte tokenizer: specials[%d] %q is a duplicate", i, s)
		}
		id := 256 + i
		t.tokens[id], t.known[id], t.special[id], t.decoded[id] = s, true, true, []byte(s)
		t.ids[s] = id
		t.raw.add(s, &addedToken{content: s, id: id, special: true})
	}
	lookup := func(name, what string) (int, error) {
		if name == "" {
			return -1, nil
		}
		id, ok := t.ids[name]
		if !ok {
			return -1, fmt.Errorf("byte tokenizer: %s %q is not one of the specials", what, name)
		}
		return id, nil
	}
	var err error
	if t.bos, err = lookup(spec.BOS, "bos"); err != nil {
		return nil, err
	}
	if t.eos, err = lookup(spec.EOS, "eos"); err != nil {
		return nil, err
	}
	if spec.AddBOS {
		if t.bos < 0 {
			return nil, errors.New("byte tokenizer: add_bos without bos")
		}
		t.prefix = []int{t.bos}
	}
	if spec.AddEOS {
		if t.eos < 0 {
			return nil, errors.New("byte tokenizer: add_eos without eos")
		}
		t.suffix = []int{t.eos}
	}
	return t, nil
}
