package loop

import (
	"fmt"
	"math"
)

// NGramBits returns the cross-entropy in bits per token of an n-gram model
// (order 1 = unigram, 2 = bigram) fitted on train and scored on every token
// of valid. The unigram is add-one smoothed; the bigram is smoothed towards
// the unigram with a Dirichlet prior of weight 1, p(t|s) = (c(s,t) + p(t)) /
// (c(s) + 1), and scores the first token of valid with the unigram. For the byte tokenizer this is bits per
// byte: the baselines the trained model is compared with.
func NGramBits(train, valid []int32, vocab, order int) (float64, error) {
	if order != 1 && order != 2 {
		return 0, fmt.Errorf("n-gram order %d: want 1 or 2", order)
	}
	if len(valid) == 0 {
		return 0, fmt.Errorf("n-gram: empty validation data")
	}
	uni := make([]float64, vocab)
	for _, t := range train {
		if int(t) >= vocab || t < 0 {
			return 0, fmt.Errorf("n-gram: token %d outside vocabulary %d", t, vocab)
		}
		uni[t]++
	}
	uniP := func(t int32) float64 { return (uni[t] + 1) / (float64(len(train)) + float64(vocab)) }
	var bi []float64
	if order == 2 {
		bi = make([]float64, vocab*vocab)
		for i := 1; i < len(train); i++ {
			bi[int(train[i-1])*vocab+int(train[i])]++
		}
	}
	ctxCount := make([]float64, vocab) // how often each token is followed by another
	for i := 0; i+1 < len(train); i++ {
		ctxCount[train[i]]++
	}
	var nll float64
	for i, t := range valid {
		if int(t) >= vocab || t < 0 {
			return 0, fmt.Errorf("n-gram: token %d outside vocabulary %d", t, vocab)
		}
		p := uniP(t)
		if order == 2 && i > 0 {
			prev := int(valid[i-1])
			p = (bi[prev*vocab+int(t)] + p) / (ctxCount[prev] + 1)
		}
		nll -= math.Log2(p)
	}
	return nll / float64(len(valid)), nil
}
