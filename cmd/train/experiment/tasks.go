package main

import (
	"math/rand/v2"
	"strconv"
)

// A task makes seeded training batches and test examples of a synthetic
// sequence problem, posed as next-token prediction: an example is a token
// sequence whose answer tokens sit at known positions.
type task interface {
	// vocab is the number of token ids the task uses.
	vocab() int
	// batch returns B training sequences of one length, drawn with rng, at
	// progress in [0, 1) of training (for curricula).
	batch(rng *rand.Rand, b int, progress float64) [][]int
	// buckets names the test groups, in table order.
	buckets() []string
	// example draws a test example of bucket i: the tokens and the positions
	// whose next token is an answer.
	example(rng *rand.Rand, i int) (tokens []int, answers []int)
}

// Parity (Delétang et al. 2023, the xLSTM paper's Table/Fig. on formal
// languages): BOS, n random bits, "=", then the parity of the bits. Training
// lengths n ≤ maxTrain, with a curriculum: the longest length drawn grows
// linearly from 4 to maxTrain over the first half of training (the answer
// is one of up to maxTrain+2 predicted tokens, so short strings first give
// it a usable signal); test buckets reach 256.
type parity struct{ maxTrain int }

const (
	parEq  = 2
	parBOS = 3
)

var parityBuckets = [][2]int{{1, 40}, {41, 64}, {65, 128}, {129, 256}}

func (parity) vocab() int { return 4 }

func (p parity) batch(rng *rand.Rand, b int, progress float64) [][]int {
	hi := min(p.maxTrain, 4+int(2*progress*float64(p.maxTrain-4)))
	n := 1 + rng.IntN(hi)
	out := make([][]int, b)
	for i := range out {
		out[i], _ = parityExample(rng, n)
	}
	return out
}

func parityExample(rng *rand.Rand, n int) ([]int, []int) {
	s := make([]int, 0, n+3)
	s = append(s, parBOS)
	x := 0
	for range n {
		bit := rng.IntN(2)
		x ^= bit
		s = append(s, bit)
	}
	s = append(s, parEq, x)
	return s, []int{n + 1}
}

func (parity) buckets() []string {
	var out []string
	for _, b := range parityBuckets {
		out = append(out, strconv.Itoa(b[0])+"–"+strconv.Itoa(b[1]))
	}
	return out
}

func (parity) example(rng *rand.Rand, i int) ([]int, []int) {
	lo, hi := parityBuckets[i][0], parityBuckets[i][1]
	return parityExample(rng, lo+rng.IntN(hi-lo+1))
}

// MQAR, multi-query associative recall (Arora et al. 2023, Zoology): N
// key-value pairs (keys distinct), then all N keys again in random order,
// each followed by its value; the answers are those values. Keys and values
// come from disjoint halves of the vocabulary.
type mqar struct {
	keys  int   // key (and value) alphabet size
	pairs []int // test bucket sizes; training draws N uniformly up to the largest
}

func (m mqar) vocab() int { return 2 * m.keys }

func (m mqar) batch(rng *rand.Rand, b int, _ float64) [][]int {
	n := 1 + rng.IntN(m.pairs[len(m.pairs)-1])
	out := make([][]int, b)
	for i := range out {
		out[i], _ = m.make(rng, n)
	}
	return out
}

func (m mqar) make(rng *rand.Rand, n int) ([]int, []int) {
	keys := rng.Perm(m.keys)[:n]
	vals := make([]int, n)
	s := make([]int, 0, 4*n)
	for i, k := range keys {
		vals[i] = m.keys + rng.IntN(m.keys)
		s = append(s, k, vals[i])
	}
	var answers []int
	for _, j := range rng.Perm(n) {
		s = append(s, keys[j])
		answers = append(answers, len(s)-1)
		s = append(s, vals[j])
	}
	return s, answers
}

func (m mqar) buckets() []string {
	var out []string
	for _, n := range m.pairs {
		out = append(out, strconv.Itoa(n))
	}
	return out
}

func (m mqar) example(rng *rand.Rand, i int) ([]int, []int) { return m.make(rng, m.pairs[i]) }
