package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// preTokenizer cuts text into pieces that the model splits on its own.
type preTokenizer interface {
	// split calls emit for each non-empty piece of s, in order.
	split(s string, emit func(piece string))
}

// byteLevelPre is the ByteLevel pre-tokenizer: an optional leading space,
// then the GPT-2 split when useRegex. Its byte-to-character mapping is done
// by the model (bpeModel.byteLevel), so it must come last.
type byteLevelPre struct {
	addPrefixSpace bool
	useRegex       bool
}

func (p byteLevelPre) split(s string, emit func(string)) {
	if s == "" {
		return
	}
	if p.addPrefixSpace && s[0] != ' ' {
		s = " " + s
	}
	if p.useRegex {
		gpt2Split(s, emit)
		return
	}
	emit(s)
}

// seqPre runs pre-tokenizers one after the other, each on the pieces of the
// one before.
type seqPre []preTokenizer

func (q seqPre) split(s string, emit func(string)) {
	var run func(i int, p string)
	run = func(i int, p string) {
		if i == len(q) {
			emit(p)
			return
		}
		q[i].split(p, func(x string) { run(i+1, x) })
	}
	run(0, s)
}

// Split behaviours: what happens to the matches of a Split pattern.
const (
	splitRemoved = iota
	splitIsolated
	splitMergedWithPrevious
	splitMergedWithNext
	splitContiguous
)

// splitPre is the Split pre-tokenizer.
type splitPre struct {
	re       *splitRegex
	behavior int
	invert   bool
}

// span is a part of a string: a match of the pattern or the text between.
type span struct {
	start, end int
	match      bool
}

func (p *splitPre) split(s string, emit func(string)) {
	if s == "" {
		return
	}
	var spans []span
	prev := 0
	p.re.findAll(s, func(start, end int) {
		if prev != start {
			spans = append(spans, span{prev, start, p.invert})
		}
		spans = append(spans, span{start, end, !p.invert})
		prev = end
	})
	if prev != len(s) {
		spans = append(spans, span{prev, len(s), p.invert})
	}
	out := spans[:0:0]
	prevMatch := false
	switch p.behavior {
	case splitIsolated:
		out = spans
	case splitRemoved:
		for _, sp := range spans {
			if !sp.match {
				out = append(out, sp)
			}
		}
	case splitContiguous:
		for _, sp := range spans {
			if sp.match == prevMatch && len(out) > 0 {
				out[len(out)-1].end = sp.end
			} else {
				out = append(out, sp)
			}
			prevMatch = sp.match
		}
	case splitMergedWithPrevious:
		for _, sp := range spans {
			if sp.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].end = sp.end
			} else {
				out = append(out, sp)
			}
			prevMatch = sp.match
		}
	case splitMergedWithNext:
		for i := len(spans) - 1; i >= 0; i-- {
			sp := spans[i]
			if sp.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].start = sp.start
			} else {
				out = append(out, sp)
			}
			prevMatch = sp.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	for _, sp := range out {
		if sp.end > sp.start {
			emit(s[sp.start:sp.end])
		}
	}
}

// gpt2Pre is a Split with gpt2Pattern, Isolated, not inverted.
type gpt2Pre struct{}

func (gpt2Pre) split(s string, emit func(string)) { gpt2Split(s, emit) }

// Character classes of gpt2Pattern.
const (
	clsOther = iota // [^\s\p{L}\p{N}]
	clsLetter
	clsNumber
	clsSpace
)

// asciiClass is the class of each ASCII byte.
func asciiClass(c byte) int {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return clsLetter
	case c >= '0' && c <= '9':
		return clsNumber
	case c == ' ', c >= '\t' && c <= '\r':
		return clsSpace
	}
	return clsOther
}

// classAt returns the class of the character at s[i] and its length.
func classAt(s string, i int) (int, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass(c), 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch {
	case unicode.IsLetter(r):
		return clsLetter, n
	case unicode.IsNumber(r):
		return clsNumber, n
	case unicode.IsSpace(r):
		return clsSpace, n
	}
	return clsOther, n
}

// runEnd returns the end of the run of class cls that starts at i.
func runEnd(s string, i, cls int) int {
	for i < len(s) {
		c, n := classAt(s, i)
		if c != cls {
			break
		}
		i += n
	}
	return i
}

// contraction returns the length of 's 't 're 've 'm 'll 'd at the start
// of s, or 0.
func contraction(s string) int {
	if len(s) < 2 || s[0] != '\'' {
		return 0
	}
	switch s[1] {
	case 's', 't', 'm', 'd':
		return 2
	}
	if len(s) >= 3 {
		switch s[1:3] {
		case "re", "ve", "ll":
			return 3
		}
	}
	return 0
}

// gpt2Split cuts s as gpt2Pattern's matches do, without a regexp:
// contractions, an optional space before a run of letters, digits or other
// characters, and whitespace runs, of which one followed by a non-space
// character leaves its last character to what follows.
func gpt2Split(s string, emit func(string)) {
	for i := 0; i < len(s); {
		if n := contraction(s[i:]); n > 0 {
			emit(s[i : i+n])
			i += n
			continue
		}
		cls, n := classAt(s, i)
		if s[i] == ' ' && i+1 < len(s) {
			if c2, _ := classAt(s, i+1); c2 != clsSpace {
				j := runEnd(s, i+1, c2)
				emit(s[i:j])
				i = j
				continue
			}
		}
		if cls != clsSpace {
			j := runEnd(s, i+n, cls)
			emit(s[i:j])
			i = j
			continue
		}
		j := runEnd(s, i+n, clsSpace)
		if j < len(s) {
			if _, last := utf8.DecodeLastRuneInString(s[i:j]); j-last > i {
				j -= last
			}
		}
		emit(s[i:j])
		i = j
	}
}
