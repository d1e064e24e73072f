package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json's "added_tokens": text matched
// before normalization (normalized false) or in normalized text (normalized
// true), never split by the pre-tokenizer or the model.
type addedToken struct {
	content                    string
	id                         int
	special, normalized        bool
	singleWord, lstrip, rstrip bool
}

// tokenMatcher finds added tokens in text: the leftmost match, and of the
// matches starting there the longest (Aho-Corasick "leftmost-longest", as
// Hugging Face builds it).
type tokenMatcher struct {
	pats    []string
	toks    []*addedToken
	byFirst [256][]int32 // indices of pats by first byte, longest first
}

// add registers pattern pat for tok; empty patterns are ignored.
func (m *tokenMatcher) add(pat string, tok *addedToken) {
	if pat == "" {
		return
	}
	k := int32(len(m.pats))
	m.pats = append(m.pats, pat)
	m.toks = append(m.toks, tok)
	list := append(m.byFirst[pat[0]], k)
	for i := len(list) - 1; i > 0 && len(m.pats[list[i]]) > len(m.pats[list[i-1]]); i-- {
		list[i], list[i-1] = list[i-1], list[i]
	}
	m.byFirst[pat[0]] = list
}

// find returns the index of the leftmost-longest pattern at or after from,
// and where it starts, or -1.
func (m *tokenMatcher) find(s string, from int) (k, start int) {
	for i := from; i < len(s); i++ {
		for _, k := range m.byFirst[s[i]] {
			if strings.HasPrefix(s[i:], m.pats[k]) {
				return int(k), i
			}
		}
	}
	return -1, -1
}

// split cuts s into text and added tokens and calls emit for each part in
// order: id -1 for text (never empty), the token's id otherwise. It follows
// Hugging Face's AddedVocabulary::find_matches, single_word, lstrip and
// rstrip included.
func (m *tokenMatcher) split(s string, emit func(part string, id int)) {
	if len(m.pats) == 0 {
		if s != "" {
			emit(s, -1)
		}
		return
	}
	done := 0 // end of what has been emitted
	for pos := 0; pos < len(s); {
		k, start := m.find(s, pos)
		if k < 0 {
			break
		}
		stop := start + len(m.pats[k])
		pos = stop
		tok := m.toks[k]
		if tok.singleWord {
			before := start == 0 || !endsWithWord(s[:start])
			after := stop == len(s) || !startsWithWord(s[stop:])
			if !before || !after {
				continue
			}
		}
		if tok.lstrip {
			start = max(spaceStartAtEnd(s[:start]), done)
		}
		if tok.rstrip {
			stop += spaceLenAtStart(s[stop:])
		}
		if done < start {
			emit(s[done:start], -1)
		}
		emit(s[start:stop], tok.id)
		done = stop
	}
	if done < len(s) {
		emit(s[done:], -1)
	}
}

// isWordRune is \w of Rust's regex crate (UTS #18): Alphabetic, marks,
// decimal digits, connector punctuation and joiners.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) ||
		unicode.Is(unicode.Pc, r) || unicode.Is(unicode.Nl, r) ||
		unicode.Is(unicode.Other_Alphabetic, r) || unicode.Is(unicode.Join_Control, r)
}

func endsWithWord(s string) bool {
	r, n := utf8.DecodeLastRuneInString(s)
	return n > 0 && isWordRune(r)
}

func startsWithWord(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && isWordRune(r)
}

// spaceStartAtEnd returns where the whitespace that ends s begins.
func spaceStartAtEnd(s string) int {
	i := len(s)
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		if !unicode.IsSpace(r) {
			break
		}
		i -= n
	}
	return i
}

// spaceLenAtStart returns the length of the whitespace that starts s.
func spaceLenAtStart(s string) int {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i
}
