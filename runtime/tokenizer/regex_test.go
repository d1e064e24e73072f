package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// pieces collects what a pre-tokenizer emits.
func pieces(p preTokenizer, s string) []string {
	var out []string
	p.split(s, func(x string) { out = append(out, x) })
	return out
}

// TestGPT2SplitMatchesRegex: the hand-written GPT-2 splitter and the
// regexp with its look-ahead emulation cut texts the same way.
func TestGPT2SplitMatchesRegex(t *testing.T) {
	re, err := compileSplitRegex(gpt2Pattern)
	if err != nil {
		t.Fatal(err)
	}
	slow := &splitPre{re: re, behavior: splitIsolated}
	texts := append(corpus(), randomTexts(3000, 3)...)
	texts = append(texts, "  \t x", "x \n\n y", "\u3000\u3000a", "a\u0085 \u0085b", " ' s", "'s's'S", "a   ")
	for _, s := range texts {
		s = validUTF8(s)
		fast, want := pieces(gpt2Pre{}, s), pieces(slow, s)
		if !slices.Equal(fast, want) {
			t.Errorf("%q: gpt2Split %q, regexp %q", s, fast, want)
		}
		if strings.Join(fast, "") != s {
			t.Errorf("%q: pieces %q do not cover the text", s, fast)
		}
	}
}

// TestSplitRegex checks the Unicode meaning of translated classes, the
// look-ahead emulation and Oniguruma's empty-match rule.
func TestSplitRegex(t *testing.T) {
	cases := []struct {
		pattern, text string
		want          []string // Isolated pieces
	}{
		{`\s`, "a\u0085b\ufeffc\u3000d", []string{"a", "\u0085", "b\ufeffc", "\u3000", "d"}},
		{`\d+`, "x٣٤5y", []string{"x", "٣٤5", "y"}},
		{`\w+`, "é_\u0301x-y", []string{"é_\u0301x", "-", "y"}},
		{`[^\s\w]+`, "a, b!?", []string{"a", ",", " b", "!?"}},
		{`\u00e9`, "café", []string{"caf", "é"}},
		{`\s+(?!\S)|\s+`, "a   b  ", []string{"a", "  ", " ", "b", "  "}},
		{`\s+(?!\S)`, "a b  c", []string{"a b", " ", " c"}},
		{`\s+(?!\S)|x`, "a x", []string{"a ", "x"}},
		{`[ab]+(?![cd])|a`, "aac", []string{"a", "a", "c"}},
		{`x*`, "abxxcx", []string{"a", "b", "xx", "c", "x"}},
		{`(?i:'s|'t)|\p{L}+`, "IT'S it's", []string{"IT", "'S", " ", "it", "'s"}},
		{`\p{N}{1,3}`, "1234567", []string{"123", "456", "7"}},
	}
	for _, c := range cases {
		re, err := compileSplitRegex(c.pattern)
		if err != nil {
			t.Errorf("%q: %v", c.pattern, err)
			continue
		}
		if got := pieces(&splitPre{re: re, behavior: splitIsolated}, c.text); !slices.Equal(got, c.want) {
			t.Errorf("%q on %q: %q, want %q", c.pattern, c.text, got, c.want)
		}
	}
}

// TestSplitRegexRefused: constructs Go cannot run with Oniguruma's meaning
// are errors that say which.
func TestSplitRegexRefused(t *testing.T) {
	cases := []struct{ pattern, want string }{
		{`(?<=a)b`, "look-around"},
		{`a(?=b)`, "look-around"},
		{`\s+(?!\S)x`, "look-around"},
		{`\bword`, `\b`},
		{`^a`, "anchor"},
		{`a$`, "anchor"},
		{`a++`, "possessive"},
		{`(?>a)`, "atomic"},
		{`[[:alpha:]]`, "POSIX"},
		{`[a[b]]`, "nested"},
		{`(a)\1`, "back-reference"},
		{`\p{^L}`, `\p{^`},
		{`(a`, "unbalanced"},
		{`[\S]`, `\S inside a class`},
		{`\h`, `\h`},
		{`\p{NotAClass}`, "NotAClass"},
	}
	for _, c := range cases {
		_, err := compileSplitRegex(c.pattern)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want it to mention %q", c.pattern, err, c.want)
		}
	}
}

// TestSplitBehaviors: the five behaviours and invert on one pattern.
func TestSplitBehaviors(t *testing.T) {
	re, err := compileLiteral("-")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		behavior int
		invert   bool
		want     []string
	}{
		{splitRemoved, false, []string{"a", "b", "c"}},
		{splitIsolated, false, []string{"a", "-", "b", "-", "-", "c", "-"}},
		{splitMergedWithPrevious, false, []string{"a-", "b-", "-", "c-"}},
		{splitMergedWithNext, false, []string{"a", "-b", "-", "-c", "-"}},
		{splitContiguous, false, []string{"a", "-", "b", "--", "c", "-"}},
		{splitRemoved, true, []string{"-", "-", "-", "-"}},
	}
	for _, c := range cases {
		got := pieces(&splitPre{re: re, behavior: c.behavior, invert: c.invert}, "a-b--c-")
		if !slices.Equal(got, c.want) {
			t.Errorf("behavior %d invert %v: %q, want %q", c.behavior, c.invert, got, c.want)
		}
	}
}
