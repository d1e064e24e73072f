package tokenizer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// gpt2Pattern is the pre-tokenization pattern of GPT-2 (and of the ByteLevel
// pre-tokenizer with use_regex); it has a hand-written splitter, gpt2Split.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// splitRegex runs an Oniguruma-style pattern (what Hugging Face's Split uses)
// with Go's regexp. Go has no look-ahead, so a top-level alternative of the
// form C+(?!Y), C and Y single-character classes (as in \s+(?!\S)), runs as
// (C+) and is then given back characters, as a backtracking engine would,
// until Y does not match what follows; when no length fits, the later
// alternatives are tried at the same place.
type splitRegex struct {
	full     *altRegexp   // every alternative
	anchored []*altRegexp // anchored[j]: ^(alternatives j...), where needed
	look     []*lookahead // per alternative: nil, or its (?!Y)
}

// altRegexp is a Go regexp whose top-level alternatives are groups named
// a0, a1, ...; groups maps a group index to its alternative (-1 for groups
// inside an alternative).
type altRegexp struct {
	re     *regexp.Regexp
	groups []int
}

// which returns the alternative that matched, given a match's indices.
func (a *altRegexp) which(loc []int) int {
	for k := 1; 2*k < len(loc); k++ {
		if loc[2*k] >= 0 && a.groups[k] >= 0 {
			return a.groups[k]
		}
	}
	return -1
}

// lookahead is the (?!Y) of an alternative C+(?!Y).
type lookahead struct {
	notSpace bool           // Y is \S
	y        *regexp.Regexp // ^(?:Y) otherwise
}

// blocks reports whether Y matches at the start of rest.
func (l *lookahead) blocks(rest string) bool {
	if l.notSpace {
		r, _ := utf8.DecodeRuneInString(rest)
		return !unicode.IsSpace(r)
	}
	return l.y.MatchString(rest)
}

// compileSplitRegex compiles an Oniguruma-style pattern; see splitRegex.
func compileSplitRegex(pattern string) (*splitRegex, error) {
	alts, err := splitAlternatives(pattern)
	if err != nil {
		return nil, err
	}
	goAlts := make([]string, len(alts))
	r := &splitRegex{look: make([]*lookahead, len(alts))}
	for i, a := range alts {
		c, y, ok, err := lookaheadAlt(a)
		if err != nil {
			return nil, err
		}
		if ok {
			if goAlts[i], err = translate(c + "+"); err != nil {
				return nil, err
			}
			l := &lookahead{notSpace: y == `\S`}
			if !l.notSpace {
				ty, err := translate(y)
				if err != nil {
					return nil, err
				}
				if l.y, err = regexp.Compile(`^(?:` + ty + `)`); err != nil {
					return nil, fmt.Errorf("look-ahead %q: %w", y, err)
				}
			}
			r.look[i] = l
			continue
		}
		if goAlts[i], err = translate(a); err != nil {
			return nil, err
		}
	}
	return r, r.compile(goAlts)
}

// compileLiteral is a splitRegex that finds the string s (a Split "String"
// pattern).
func compileLiteral(s string) (*splitRegex, error) {
	r := &splitRegex{look: make([]*lookahead, 1)}
	return r, r.compile([]string{regexp.QuoteMeta(s)})
}

// compile builds the Go regexps from the translated alternatives.
func (r *splitRegex) compile(goAlts []string) error {
	build := func(from int, anchor string) (*altRegexp, error) {
		var b strings.Builder
		b.WriteString(anchor + "(?:")
		for i := from; i < len(goAlts); i++ {
			if i > from {
				b.WriteByte('|')
			}
			fmt.Fprintf(&b, "(?P<a%d>%s)", i, goAlts[i])
		}
		b.WriteByte(')')
		re, err := regexp.Compile(b.String())
		if err != nil {
			return nil, err
		}
		a := &altRegexp{re: re, groups: make([]int, re.NumSubexp()+1)}
		for k, name := range re.SubexpNames() {
			a.groups[k] = -1
			if n, ok := strings.CutPrefix(name, "a"); ok {
				if v, err := strconv.Atoi(n); err == nil {
					a.groups[k] = v
				}
			}
		}
		return a, nil
	}
	var err error
	if r.full, err = build(0, ""); err != nil {
		return err
	}
	r.anchored = make([]*altRegexp, len(goAlts)+1)
	for i, l := range r.look {
		if l != nil && i+1 < len(goAlts) {
			if r.anchored[i+1], err = build(i+1, "^"); err != nil {
				return err
			}
		}
	}
	return nil
}

// lookEnd gives back characters of the run s[start:end] of an alternative
// C+(?!Y) until Y does not match after it; ok is false when none fits.
func (r *splitRegex) lookEnd(s string, start, end, alt int) (int, bool) {
	l := r.look[alt]
	for e := end; e > start; {
		if e == len(s) || !l.blocks(s[e:]) {
			return e, true
		}
		_, n := utf8.DecodeLastRuneInString(s[start:e])
		e -= n
	}
	return 0, false
}

// matchFrom tries alternatives from..., anchored at start.
func (r *splitRegex) matchFrom(s string, start, from int) (int, bool) {
	for from < len(r.look) {
		a := r.anchored[from]
		if a == nil {
			return 0, false
		}
		loc := a.re.FindStringSubmatchIndex(s[start:])
		if loc == nil {
			return 0, false
		}
		alt := a.which(loc)
		if alt < 0 || r.look[alt] == nil {
			return start + loc[1], true
		}
		if e, ok := r.lookEnd(s, start, start+loc[1], alt); ok {
			return e, true
		}
		from = alt + 1
	}
	return 0, false
}

// search returns the leftmost match at or after from.
func (r *splitRegex) search(s string, from int) (start, end int, ok bool) {
	for p := from; p <= len(s); {
		loc := r.full.re.FindStringSubmatchIndex(s[p:])
		if loc == nil {
			return 0, 0, false
		}
		start = p + loc[0]
		alt := r.full.which(loc)
		if alt < 0 || r.look[alt] == nil {
			return start, p + loc[1], true
		}
		if e, ok := r.lookEnd(s, start, p+loc[1], alt); ok {
			return start, e, true
		}
		if e, ok := r.matchFrom(s, start, alt+1); ok {
			return start, e, true
		}
		if start >= len(s) {
			return 0, 0, false
		}
		_, n := utf8.DecodeRuneInString(s[start:])
		p = start + n
	}
	return 0, 0, false
}

// findAll calls yield for each match in s, in order, skipping an empty match
// right where the previous one ended (Oniguruma's find_iter as the onig crate
// runs it).
func (r *splitRegex) findAll(s string, yield func(start, end int)) {
	from, lastEnd := 0, -1
	for from <= len(s) {
		start, end, ok := r.search(s, from)
		if !ok {
			return
		}
		if start == end && lastEnd == from {
			if from >= len(s) {
				return
			}
			_, n := utf8.DecodeRuneInString(s[from:])
			from += n
			continue
		}
		from, lastEnd = end, end
		yield(start, end)
	}
}
