package sample_test

import (
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/sample"
)

func Example() {
	// Temperature 0 is greedy: the largest logit wins, the lowest id on ties.
	s, err := sample.New(sample.Params{}, 5)
	if err != nil {
		panic(err)
	}
	for _, logits := range [][]float32{
		{0.1, 2.5, -1, 0.3, 2.4},
		{3, 1, 3, 0, -2},
	} {
		id, err := s.Next(logits)
		if err != nil {
			panic(err)
		}
		fmt.Println(id)
	}
	// Output:
	// 1
	// 0
}

func ExampleSampler_Next() {
	// Seeded sampling: the same seed and logits give the same tokens on every
	// platform. Top-k 2 means only tokens 1 and 4 can come out here.
	s, err := sample.New(sample.Params{Temperature: 0.8, TopK: 2, TopP: 0.95, Seed: 42}, 5)
	if err != nil {
		panic(err)
	}
	logits := []float32{0.1, 2.5, -1, 0.3, 2.4}
	for i := 0; i < 6; i++ {
		id, _ := s.Next(logits)
		fmt.Print(id == 1 || id == 4, " ")
	}
	fmt.Println()
	// Output: true true true true true true
}
