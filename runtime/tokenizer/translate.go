package tokenizer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// splitAlternatives cuts a pattern at its top-level '|'.
func splitAlternatives(p string) ([]string, error) {
	var alts []string
	depth, class, last := 0, 0, 0
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case class > 0:
			switch c {
			case '[':
				class++
			case ']':
				class--
			}
		case c == '[':
			class = 1
			if i+1 < len(p) && p[i+1] == '^' {
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				i++ // a leading ']' is literal
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("regex %q: unbalanced ')'", p)
			}
		case c == '|' && depth == 0:
			alts = append(alts, p[last:i])
			last = i + 1
		}
	}
	if depth != 0 || class != 0 {
		return nil, fmt.Errorf("regex %q: unbalanced '(' or '['", p)
	}
	return append(alts, p[last:]), nil
}

// lookaheadAlt recognizes an alternative C+(?!Y) with single-character
// classes C and Y. An alternative with any other look-around is an error.
func lookaheadAlt(a string) (c, y string, ok bool, err error) {
	if !strings.Contains(a, "(?!") && !strings.Contains(a, "(?=") && !strings.Contains(a, "(?<=") && !strings.Contains(a, "(?<!") {
		return "", "", false, nil
	}
	bad := fmt.Errorf("regex alternative %q: unsupported look-around: only C+(?!Y) with single-character classes C and Y is supported", a)
	n := classAtom(a)
	if n == 0 || !strings.HasPrefix(a[n:], "+(?!") || !strings.HasSuffix(a, ")") {
		return "", "", false, bad
	}
	rest := a[n+len("+(?!") : len(a)-1]
	if m := classAtom(rest); m == 0 || m != len(rest) {
		return "", "", false, bad
	}
	return a[:n], rest, true, nil
}

// classAtom returns the length of the single-character class at the start
// of s (\s, \p{L}, \pL, [...]), or 0.
func classAtom(s string) int {
	switch {
	case len(s) >= 2 && s[0] == '\\' && strings.IndexByte("sSdDwW", s[1]) >= 0:
		return 2
	case len(s) >= 3 && s[0] == '\\' && (s[1] == 'p' || s[1] == 'P'):
		if s[2] != '{' {
			return 3
		}
		if k := strings.IndexByte(s, '}'); k > 0 {
			return k + 1
		}
	case len(s) >= 2 && s[0] == '[':
		i := 1
		if s[i] == '^' {
			i++
		}
		if i < len(s) && s[i] == ']' {
			i++
		}
		for ; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '[':
				return 0
			case ']':
				return i + 1
			}
		}
	}
	return 0
}

// translate turns one alternative of an Oniguruma pattern into Go syntax:
// \s, \d, \w and their negations take their Unicode meaning, \uHHHH becomes
// \x{HHHH}; anchors, back-references, possessive and atomic forms, POSIX
// brackets and nested classes are refused.
func translate(a string) (string, error) {
	var b strings.Builder
	fail := func(what string) (string, error) {
		return "", fmt.Errorf("regex %q: unsupported regex construct %s", a, what)
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch {
		case c == '\\':
			if i+1 >= len(a) {
				return fail("(trailing backslash)")
			}
			i++
			e, n, err := translateEscape(a[i:], false)
			if err != nil {
				return fail(err.Error())
			}
			b.WriteString(e)
			i += n - 1
		case c == '[':
			n, err := translateClass(&b, a[i:])
			if err != nil {
				return fail(err.Error())
			}
			i += n - 1
		case c == '^' || c == '$':
			return fail(fmt.Sprintf("%q (anchor)", c))
		case c == '(' && strings.HasPrefix(a[i:], "(?>"):
			return fail(`"(?>" (atomic group)`)
		case c == '(' && (strings.HasPrefix(a[i:], "(?=") || strings.HasPrefix(a[i:], "(?!") || strings.HasPrefix(a[i:], "(?<=") || strings.HasPrefix(a[i:], "(?<!")):
			return fail("(look-around)")
		case (c == '+' || c == '*' || c == '?' || c == '}') && i+1 < len(a) && a[i+1] == '+':
			return fail("(possessive quantifier)")
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// Character class bodies for \s and \w with their Unicode meaning.
func spaceClassBody() string { return rangesBody(unicode.White_Space) }

func wordClassBody() string {
	return `\p{L}\p{M}\p{Nd}\p{Pc}\p{Nl}` + rangesBody(unicode.Other_Alphabetic, unicode.Join_Control)
}

// rangesBody lists the runes of tables as a Go class body.
func rangesBody(tables ...*unicode.RangeTable) string {
	var b strings.Builder
	item := func(lo, hi rune) {
		if lo == hi {
			fmt.Fprintf(&b, `\x{%X}`, lo)
		} else {
			fmt.Fprintf(&b, `\x{%X}-\x{%X}`, lo, hi)
		}
	}
	for _, t := range tables {
		for _, r := range t.R16 {
			for lo := rune(r.Lo); lo <= rune(r.Hi); lo += rune(r.Stride) {
				if r.Stride == 1 {
					item(lo, rune(r.Hi))
					break
				}
				item(lo, lo)
			}
		}
		for _, r := range t.R32 {
			for lo := rune(r.Lo); lo <= rune(r.Hi); lo += rune(r.Stride) {
				if r.Stride == 1 {
					item(lo, rune(r.Hi))
					break
				}
				item(lo, lo)
			}
		}
	}
	return b.String()
}

// translateEscape translates the escape whose letter starts s (the
// backslash is already consumed) and returns its Go form and how many bytes
// of s it used.
func translateEscape(s string, inClass bool) (string, int, error) {
	c := s[0]
	switch c {
	case 's':
		if inClass {
			return spaceClassBody(), 1, nil
		}
		return "[" + spaceClassBody() + "]", 1, nil
	case 'S':
		if inClass {
			return "", 0, errors.New(`\S inside a class`)
		}
		return "[^" + spaceClassBody() + "]", 1, nil
	case 'd':
		return `\p{Nd}`, 1, nil
	case 'D':
		return `\P{Nd}`, 1, nil
	case 'w':
		if inClass {
			return wordClassBody(), 1, nil
		}
		return "[" + wordClassBody() + "]", 1, nil
	case 'W':
		if inClass {
			return "", 0, errors.New(`\W inside a class`)
		}
		return "[^" + wordClassBody() + "]", 1, nil
	case 'p', 'P':
		if len(s) >= 2 && s[1] == '{' {
			k := strings.IndexByte(s, '}')
			if k < 0 {
				return "", 0, errors.New(`unterminated \p{`)
			}
			if strings.HasPrefix(s[2:], "^") {
				return "", 0, errors.New(`\p{^...}`)
			}
			return `\` + s[:k+1], k + 1, nil
		}
		if len(s) >= 2 {
			return `\` + s[:2], 2, nil
		}
		return "", 0, errors.New(`\p without a class`)
	case 'u':
		if len(s) < 5 {
			return "", 0, errors.New(`short \u escape`)
		}
		if _, err := strconv.ParseUint(s[1:5], 16, 32); err != nil {
			return "", 0, fmt.Errorf(`bad \u escape %q`, s[:5])
		}
		return `\x{` + s[1:5] + `}`, 5, nil
	case 'h', 'H', 'R', 'X', 'K', 'G', 'b', 'B', 'A', 'z', 'Z', 'k', 'g', 'y', 'Y', 'N', 'O':
		return "", 0, fmt.Errorf(`\%c`, c)
	}
	if c >= '1' && c <= '9' {
		return "", 0, fmt.Errorf(`\%c (back-reference)`, c)
	}
	return `\` + string(c), 1, nil
}

// translateClass translates the bracket class at the start of s into b and
// returns its length.
func translateClass(b *strings.Builder, s string) (int, error) {
	b.WriteByte('[')
	i := 1
	if i < len(s) && s[i] == '^' {
		b.WriteByte('^')
		i++
	}
	if i < len(s) && s[i] == ']' {
		b.WriteString(`\]`)
		i++
	}
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ']':
			b.WriteByte(']')
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(s) {
				return 0, errors.New("(trailing backslash)")
			}
			e, n, err := translateEscape(s[i+1:], true)
			if err != nil {
				return 0, err
			}
			b.WriteString(e)
			i += n
		case c == '[' && i+1 < len(s) && s[i+1] == ':':
			return 0, errors.New("POSIX bracket [:...:]")
		case c == '[':
			return 0, errors.New("nested class")
		case c == '&' && i+1 < len(s) && s[i+1] == '&':
			return 0, errors.New("class intersection &&")
		default:
			b.WriteByte(c)
		}
	}
	return 0, errors.New("unterminated class")
}
