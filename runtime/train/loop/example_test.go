package loop_test

import (
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/train/loop"
)

// Batches are a function of (seed, step), so a resumed run sees the same
// data; validation text is cut into windows that overlap by one token.
func Example() {
	text := []byte("in the beginning was the word")
	tokens, err := loop.Tokens(text, func(s string) []int {
		ids := make([]int, len(s))
		for i := range s {
			ids[i] = int(s[i])
		}
		return ids
	}, 256)
	if err != nil {
		panic(err)
	}
	b, err := loop.NewBatcher(tokens, 2, 8, 42)
	if err != nil {
		panic(err)
	}
	first := fmt.Sprint(b.Batch(7))
	fmt.Println(first == fmt.Sprint(b.Batch(7)), len(b.Batch(7)), len(b.Batch(7)[0]))

	w, _ := loop.Windows(tokens, 10, 0)
	fmt.Printf("%d windows: %q %q %q\n", len(w), bytesOf(w[0]), bytesOf(w[1]), bytesOf(w[2]))

	uni, _ := loop.NGramBits(tokens, tokens, 256, 1)
	fmt.Printf("unigram %.2f bits/byte\n", uni)
	// Output:
	// true 2 8
	// 3 windows: "in the beg" "ginning wa" "as the wor"
	// unigram 6.33 bits/byte
}

func bytesOf(ids []int) string {
	b := make([]byte, len(ids))
	for i, id := range ids {
		b[i] = byte(id)
	}
	return string(b)
}
