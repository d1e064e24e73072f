package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// maxIDGap bounds how far past the vocabulary's size an id may be, so that
// a file cannot make the id tables huge.
const maxIDGap = 1 << 16

// Parse reads a tokenizer from the bytes of a tokenizer file: a byte
// tokenizer spec when the top-level JSON object has a "type" (see ByteSpec),
// a Hugging Face tokenizer.json otherwise. Unsupported parts are an error
// that names them.
func Parse(data []byte) (*Tokenizer, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("tokenizer: not a JSON object: %w", err)
	}
	if raw, ok := top["type"]; ok {
		var typ string
		if err := json.Unmarshal(raw, &typ); err != nil || typ != KindByte {
			return nil, fmt.Errorf("tokenizer: \"type\" is %s: the only tokenizer type is %q (a tokenizer.json has no top-level type)", raw, KindByte)
		}
		var spec ByteSpec
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			return nil, fmt.Errorf("tokenizer: byte spec: %w", err)
		}
		return NewByte(spec)
	}
	if _, ok := top["model"]; !ok {
		return nil, errors.New(`tokenizer: no "model": neither a tokenizer.json nor a byte tokenizer spec`)
	}
	t, err := parseHF(top)
	if err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	return t, nil
}

// typeOf returns the "type" of a component, "" for null or absent.
func typeOf(raw json.RawMessage, what string) (string, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return "", nil
	}
	var v struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if v.Type == nil {
		return "", fmt.Errorf("%s: no \"type\"", what)
	}
	return *v.Type, nil
}

// decodeStrict unmarshals raw into v, naming what on error.
func decodeStrict(raw json.RawMessage, v any, what string) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// hfAdded is an entry of "added_tokens".
type hfAdded struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	Lstrip     bool   `json:"lstrip"`
	Rstrip     bool   `json:"rstrip"`
	Normalized *bool  `json:"normalized"`
	Special    bool   `json:"special"`
}

// parseHF builds a Tokenizer from a tokenizer.json's top-level fields.
func parseHF(top map[string]json.RawMessage) (*Tokenizer, error) {
	t := &Tokenizer{kind: KindBPE, lossy: true, bos: -1, eos: -1}
	var err error
	if t.norm, err = parseNormalizer(top["normalizer"], "normalizer"); err != nil {
		return nil, err
	}
	var byteLevel bool
	if t.pre, byteLevel, err = parsePre(top["pre_tokenizer"], "pre_tokenizer", true); err != nil {
		return nil, err
	}
	m, err := parseBPE(top["model"], byteLevel)
	if err != nil {
		return nil, err
	}
	t.model = m

	var added []hfAdded
	if raw, ok := top["added_tokens"]; ok {
		if err := decodeStrict(raw, &added, "added_tokens"); err != nil {
			return nil, err
		}
	}
	toks, err := addedIDs(added, m.vocab)
	if err != nil {
		return nil, err
	}
	for _, tok := range toks {
		if tok.normalized {
			pat := tok.content
			if t.norm != nil {
				pat = t.norm(pat)
			}
			t.normed.add(pat, tok)
		} else {
			t.raw.add(tok.content, tok)
		}
	}

	if t.prefix, t.suffix, err = parsePost(top["post_processor"], "post_processor"); err != nil {
		return nil, err
	}
	dec, err := typeOf(top["decoder"], "decoder")
	if err != nil {
		return nil, err
	}
	if t.joinSpace = dec == ""; !t.joinSpace {
		if err := checkDecoder(top["decoder"], "decoder"); err != nil {
			return nil, err
		}
	}
	if err := t.buildTables(m, toks); err != nil {
		return nil, err
	}
	for _, id := range append(append([]int(nil), t.prefix...), t.suffix...) {
		if id >= len(t.known) || !t.known[id] {
			return nil, fmt.Errorf("post_processor: special token id %d is not in the vocabulary", id)
		}
	}
	if len(t.prefix) > 0 {
		t.bos = t.prefix[0]
	}
	if len(t.suffix) > 0 {
		t.eos = t.suffix[0]
	} else {
		for _, name := range []string{"<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>"} {
			if id, ok := t.ids[name]; ok && t.IsSpecial(id) {
				t.eos = id
				break
			}
		}
	}
	return t, nil
}

// addedIDs gives the added tokens their ids as Hugging Face does when it
// loads a file: a token already in the vocabulary keeps that id; the others
// are numbered on from the vocabulary's size, in file order. (The ids
// written in the file are not used, as in Hugging Face.)
func addedIDs(added []hfAdded, vocab map[string]int32) ([]*addedToken, error) {
	var out []*addedToken
	byContent := map[string]*addedToken{}
	maxID := -1
	for i, a := range added {
		if a.Content == "" {
			continue
		}
		normalized := !a.Special
		if a.Normalized != nil {
			normalized = *a.Normalized
		}
		tok := &addedToken{content: a.Content, special: a.Special, normalized: normalized,
			singleWord: a.SingleWord, lstrip: a.Lstrip, rstrip: a.Rstrip}
		if old, ok := byContent[a.Content]; ok {
			tok.id = old.id
			*old = *tok
			continue
		}
		if id, ok := vocab[a.Content]; ok {
			tok.id = int(id)
		} else if maxID >= len(vocab) || len(vocab) == 0 {
			tok.id = maxID + 1
		} else {
			tok.id = len(vocab)
		}
		if tok.id < 0 {
			return nil, fmt.Errorf("added_tokens[%d] %q: no id", i, a.Content)
		}
		maxID = max(maxID, tok.id)
		byContent[a.Content] = tok
		out = append(out, tok)
	}
	return out, nil
}

// buildTables fills the id tables: tokens, known, special, decoded, ids.
func (t *Tokenizer) buildTables(m *bpeModel, added []*addedToken) error {
	size := 0
	for _, id := range m.vocab {
		size = max(size, int(id)+1)
	}
	for _, a := range added {
		size = max(size, a.id+1)
	}
	if limit := len(m.vocab) + len(added) + maxIDGap; size > limit {
		return fmt.Errorf("token id %d is far past the vocabulary's %d tokens (ids must be about dense)", size-1, len(m.vocab)+len(added))
	}
	t.tokens = make([]string, size)
	t.known = make([]bool, size)
	t.special = make([]bool, size)
	t.decoded = make([][]byte, size)
	t.ids = make(map[string]int, len(m.vocab)+len(added))
	// Several tokens with one id: the smallest string wins, for determinism.
	names := make([]string, 0, len(m.vocab))
	for s := range m.vocab {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		id := m.vocab[s]
		t.ids[s] = int(id)
		if !t.known[id] {
			t.tokens[id], t.known[id] = s, true
		}
	}
	for _, a := range added {
		t.ids[a.content] = a.id
		t.tokens[a.id], t.known[a.id] = a.content, true
		t.special[a.id] = a.special
	}
	if !t.joinSpace {
		_, dec := byteLevelTables()
		for id, s := range t.tokens {
			if t.known[id] {
				t.decoded[id] = byteLevelBytes(dec, nil, s)
			}
		}
	}
	return nil
}

// parseNormalizer builds a normalizer; nil for none.
func parseNormalizer(raw json.RawMessage, what string) (func(string) string, error) {
	typ, err := typeOf(raw, what)
	if err != nil || typ == "" {
		return nil, err
	}
	switch typ {
	case "NFC", "NFD", "NFKC", "NFKD":
		return unicodeNormalizer(typ), nil
	case "Sequence":
		var v struct {
			Normalizers []json.RawMessage `json:"normalizers"`
		}
		if err := decodeStrict(raw, &v, what); err != nil {
			return nil, err
		}
		var list []func(string) string
		for i, r := range v.Normalizers {
			n, err := parseNormalizer(r, fmt.Sprintf("%s.normalizers[%d]", what, i))
			if err != nil {
				return nil, err
			}
			if n != nil {
				list = append(list, n)
			}
		}
		if len(list) == 0 {
			return nil, nil
		}
		return func(s string) string {
			for _, n := range list {
				s = n(s)
			}
			return s
		}, nil
	}
	return nil, fmt.Errorf("%s: unsupported normalizer type %q (supported: NFC, NFD, NFKC, NFKD, Sequence)", what, typ)
}

// parsePre builds a pre-tokenizer (nil for none) and reports whether it
// ends with ByteLevel, which must then be its last step.
func parsePre(raw json.RawMessage, what string, last bool) (preTokenizer, bool, error) {
	typ, err := typeOf(raw, what)
	if err != nil || typ == "" {
		return nil, false, err
	}
	switch typ {
	case "ByteLevel":
		if !last {
			return nil, false, fmt.Errorf("%s: ByteLevel is supported only as the last pre-tokenizer", what)
		}
		var v struct {
			AddPrefixSpace *bool `json:"add_prefix_space"`
			UseRegex       *bool `json:"use_regex"`
		}
		if err := decodeStrict(raw, &v, what); err != nil {
			return nil, false, err
		}
		if v.AddPrefixSpace == nil {
			return nil, false, fmt.Errorf("%s: ByteLevel without add_prefix_space", what)
		}
		p := byteLevelPre{addPrefixSpace: *v.AddPrefixSpace, useRegex: v.UseRegex == nil || *v.UseRegex}
		return p, true, nil
	case "Split":
		p, err := parseSplit(raw, what)
		return p, false, err
	case "Sequence":
		var v struct {
			Pretokenizers []json.RawMessage `json:"pretokenizers"`
		}
		if err := decodeStrict(raw, &v, what); err != nil {
			return nil, false, err
		}
		var seq seqPre
		byteLevel := false
		for i, r := range v.Pretokenizers {
			p, bl, err := parsePre(r, fmt.Sprintf("%s.pretokenizers[%d]", what, i), last && i == len(v.Pretokenizers)-1)
			if err != nil {
				return nil, false, err
			}
			if p != nil {
				seq = append(seq, p)
			}
			byteLevel = byteLevel || bl
		}
		switch len(seq) {
		case 0:
			return nil, byteLevel, nil
		case 1:
			return seq[0], byteLevel, nil
		}
		return seq, byteLevel, nil
	}
	return nil, false, fmt.Errorf("%s: unsupported pre-tokenizer type %q (supported: ByteLevel, Split, Sequence)", what, typ)
}

// parseSplit builds a Split pre-tokenizer.
func parseSplit(raw json.RawMessage, what string) (preTokenizer, error) {
	var v struct {
		Pattern struct {
			Regex  *string `json:"Regex"`
			String *string `json:"String"`
		} `json:"pattern"`
		Behavior string `json:"behavior"`
		Invert   bool   `json:"invert"`
	}
	if err := decodeStrict(raw, &v, what); err != nil {
		return nil, err
	}
	behaviors := map[string]int{"Removed": splitRemoved, "Isolated": splitIsolated,
		"MergedWithPrevious": splitMergedWithPrevious, "MergedWithNext": splitMergedWithNext, "Contiguous": splitContiguous}
	b, ok := behaviors[v.Behavior]
	if !ok {
		return nil, fmt.Errorf("%s: unsupported Split behavior %q", what, v.Behavior)
	}
	var re *splitRegex
	var err error
	switch {
	case v.Pattern.Regex != nil && v.Pattern.String == nil:
		if *v.Pattern.Regex == gpt2Pattern && b == splitIsolated && !v.Invert {
			return gpt2Pre{}, nil
		}
		re, err = compileSplitRegex(*v.Pattern.Regex)
	case v.Pattern.String != nil && v.Pattern.Regex == nil:
		re, err = compileLiteral(*v.Pattern.String)
	default:
		return nil, fmt.Errorf(`%s: Split pattern must be {"Regex": ...} or {"String": ...}`, what)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &splitPre{re: re, behavior: b, invert: v.Invert}, nil
}
