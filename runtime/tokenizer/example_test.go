package tokenizer_test

import (
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/tokenizer"
)

// A small BPE tokenizer.json: words split at spaces, letters merged into
// "hello" and "world"; without a decoder, Decode joins tokens with spaces.
func Example() {
	tok, err := tokenizer.Parse([]byte(`{
		"pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Removed"},
		"model": {"type": "BPE",
			"vocab": {"d": 0, "e": 1, "h": 2, "l": 3, "o": 4, "r": 5, "w": 6,
			          "he": 7, "ll": 8, "hell": 9, "hello": 10, "wo": 11, "rl": 12, "worl": 13, "world": 14},
			"merges": ["h e", "l l", "he ll", "hell o", "w o", "r l", "wo rl", "worl d"]}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tok.Encode("hello world hold")
	fmt.Println(ids)
	fmt.Println(tok.Decode(ids))
	// Output:
	// [10 14 2 4 3 0]
	// hello world h o l d
}

// The byte tokenizer of a byte-level model, and streaming: "é" is two
// bytes, so it comes out whole with its second token.
func ExampleStreamDecoder() {
	tok, err := tokenizer.Parse([]byte(`{"type": "byte", "specials": ["<|endoftext|>"], "eos": "<|endoftext|>"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tok.Encode("Hé<|endoftext|>")
	fmt.Println(ids, tok.EOS())
	d := tok.NewStreamDecoder()
	for _, id := range ids {
		fmt.Printf("%q ", d.Add(id))
	}
	fmt.Printf("%q\n", d.Flush())
	// Output:
	// [72 195 169 256] 256
	// "H" "" "é" "<|endoftext|>" ""
}
