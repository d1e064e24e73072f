package tokenizer

import (
	"math/rand/v2"
	"strings"
)

// corpus is the fixed set of texts that the reference comparison encodes:
// prose, code, whitespace, scripts, emoji, combining marks, numbers,
// contractions, special tokens inside text and invalid UTF-8.
func corpus() []string {
	return []string{
		// English prose.
		"The quick brown fox jumps over the lazy dog.",
		"It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity.",
		"Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.",
		"Tokenizers split text into pieces; a model sees only the ids. \"Quoted\" words, (parentheses), [brackets] and {braces} — dashes – and ellipses… all count.",
		"Mr. and Mrs. Dursley, of number four, Privet Drive, were proud to say that they were perfectly normal, thank you very much.\n\nThey were the last people you'd expect to be involved in anything strange or mysterious.",
		"HELLO WORLD! Hello World! hello world! hElLo WoRlD?!",
		"supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
		"e-mail: someone@example.com, web: https://example.org/path/to?query=1&x=y#frag",
		// Code.
		"package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfor i := 0; i < 10; i++ {\n\t\tfmt.Println(i * i)\n\t}\n}\n",
		"def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\nprint([fib(k) for k in range(10)])\n",
		"class Foo(Bar):\n    \"\"\"Docstring.\"\"\"\n    def __init__(self, x: int = 0) -> None:\n        self._x = x  # comment\n",
		"{\"key\": [1, 2.5, -3e10, true, null], \"nested\": {\"a\": \"b\"}}",
		"<html><body><p class=\"x\">Hi &amp; bye</p></body></html>",
		"if (a && b || !c) { x += y >> 2; } else { x ^= ~y; } // done",
		"SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
		"   indented with spaces\n\tindented with a tab\n\t\t  mixed\n",
		// Whitespace.
		"", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\t\t\t",
		"  leading spaces", "trailing spaces   ", "many     spaces     between", "a  b", "a   b",
		"a\tb", "a\t\tb", "\n\nword", "word\n\n\n", " \n \n ", "x \t y", "   \t  x",
		"\t\t\tfor x in y:\n\t\t\t\tpass", "line one\r\nline two\r\n", "x\u3000\u3000y", "a\u00a0b", "a \u00a0 b",
		"\u2028\u2029", "a\u2028b", "\x0b\x0c", "\x1c\x1d\x1e\x1fz", "end.\n", "  \n\n  \t\n",
		// CJK and other scripts.
		"东京是日本的首都。北京是中国的首都。",
		"日本語のテキストを分割します。カタカナとひらがな、漢字。",
		"한국어 텍스트도 잘 처리되어야 합니다.",
		"Привет, мир! Как дела?", "Γειά σου Κόσμε", "مرحبا بالعالم", "שלום עולם",
		"नमस्ते दुनिया", "สวัสดีชาวโลก", "ＡＢＣ１２３ ｶﾀｶﾅ", "ﬁ ﬂ Ⅻ ㎏ ℃",
		// Emoji, with ZWJ sequences, modifiers and flags.
		"I ❤️ Go 🚀🚀", "👨‍👩‍👧‍👦 family", "🏳️‍🌈 flag", "👍🏽👍🏿", "🇩🇪🇫🇷🇯🇵", "1️⃣ keycap", "🧑🏽‍💻 at work", "a👩‍🔬b",
		// Combining marks.
		"e\u0301 vs é", "a\u0308\u0304", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇", "\u1100\u1161\u11a8", "o\u0302\u0323", " \u0301start",
		// Numbers.
		"12345678901234567890", "3.14159", "1,000,000", "-42", "1e-10", "0x1F", "٣٤٥ ۱۲", "x² ½ ¾", "Ⅻ", "v1.2.3-rc4", "$19.99 (20%)", "2024-01-31T12:00:00Z",
		// Contractions in various cases.
		"don't DON'T Don'T", "I'm I'M i'm", "you're YOU'RE", "we've WE'VE", "they'll THEY'LL", "he'd HE'D", "it's IT'S It'S",
		"'s 't 're 've 'm 'll 'd", "''s", "rock'n'roll", "’s curly", "'", "''", "x'", "'sx", " 's", "O'Neil's",
		// Special tokens inside text.
		"<|endoftext|>", "a<|endoftext|>b", "<|endoftext|><|endoftext|>", "<|endoftext", "text <|endoftext|> more text",
		"<|padding|>x", "<|begin_of_text|>hi", "foo <|mask|>  bar", " <|mask|> ", "[W] x[W]y [W]", "é[W]", "<|eot_id|>\n\nnext", "<|end_of_text|>",
		"     <|endoftext|>     ",
		// Invalid UTF-8.
		"\xff", "\xfe\xff", "abc\x80def", "\xe2\x82", "\xe2\x82 x", "\xf0\x9f\x98", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "ok\xe3\x81\x82\xe3\x81",
		// Odd characters.
		"\x00\x01\x7f", "\u200b zero width", "\ufeffBOM", "a\u0085b", " \u0085 ", "soft\u00adhyphen", "\U0001F600\U0001F600",
	}
}

// fragments returns the pieces randomTexts strings together.
func fragments() []string {
	return []string{
		"a", "Z", "é", "ß", "中", "한", "я", "the", "The", "don", "hello", "HTTP", "x2", "über",
		"7", "42", "٣", "½", "Ⅻ", "1,000",
		" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\u00a0", "\u3000", "\u2028", "\v",
		".", ",", "!", "?", "'", "'s", "'ll", "'T", "’", "-", "_", "\"", "(", ")", "...", "//",
		"🙂", "👨‍👩‍👧", "👍🏽", "\u0301", "\u200d", "\ufe0f",
		"<|endoftext|>", "<|mask|>", "[W]", "<|eot_id|>", "<|padding|>",
		"\xff", "\xe2\x82", "\xc3",
	}
}

// randomTexts returns n texts made of random fragments, the same every run.
func randomTexts(n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	frags := fragments()
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for k := 1 + rng.IntN(30); k > 0; k-- {
			b.WriteString(frags[rng.IntN(len(frags))])
		}
		out[i] = b.String()
	}
	return out
}
