package tokenizer

import (
	"encoding/json"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// llama3Pattern is Llama-3's pre-tokenization regex.
const llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// englishText returns about n bytes of English-like prose, the same every
// run: sentences of common words, some made-up longer words, numbers,
// punctuation and paragraphs.
func englishText(n int) string {
	words := strings.Fields(`the of and to a in is it you that he was for on are with as I his they be at one
		have this from or had by hot word but what some we can out other were all there when up use your how said
		an each she which do their time if will way about many then them write would like so these her long make
		thing see him two has look more day could go come did number sound no most people my over know water than
		call first who may down side been now find any new work part take get place made live where after back
		little only round man year came show every good me give our under name very through just form sentence
		great think say help low line differ turn cause much mean before move right boy old too same tell does set
		three want air well also play small end put home read hand port large spell add even land here must big
		high such follow act why ask men change went light kind off need house picture try us again animal point
		mother world near build self earth father don't it's they're we'll I'm`)
	syll := strings.Fields("ba con ter ing ed tion pre ly ous ment re in dis able er est ful ness gra pho log ic al")
	rng := rand.New(rand.NewPCG(7, 11))
	var b strings.Builder
	for b.Len() < n {
		k := 5 + rng.IntN(12)
		for i := 0; i < k; i++ {
			var w string
			switch r := rng.IntN(100); {
			case r < 8:
				for j := 2 + rng.IntN(3); j > 0; j-- {
					w += syll[rng.IntN(len(syll))]
				}
			case r < 10:
				w = strconv.Itoa(rng.IntN(10000))
			default:
				w = words[rng.IntN(len(words))]
			}
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			} else {
				b.WriteByte(' ')
			}
			b.WriteString(w)
			if i+1 < k && rng.IntN(10) == 0 {
				b.WriteByte(',')
			}
		}
		b.WriteString([]string{".", ".", ".", "!", "?"}[rng.IntN(5)])
		if rng.IntN(8) == 0 {
			b.WriteString("\n\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// trainedJSON returns a byte-level BPE tokenizer.json with merges learnt
// from text (greedy pair counting over GPT-2 pre-tokens), the GPT-2
// pre-tokenizer, and <|endoftext|> as a special token.
func trainedJSON(tb testing.TB, text string, nMerges int) []byte {
	tb.Helper()
	enc, _ := byteLevelTables()
	counts := map[string]int{}
	gpt2Split(text, func(p string) { counts[byteLevelString(&enc, p)]++ })
	type word struct {
		syms []string
		n    int
	}
	keys := make([]string, 0, len(counts))
	for w := range counts {
		keys = append(keys, w)
	}
	sort.Strings(keys)
	words := make([]word, len(keys))
	for i, w := range keys {
		for _, r := range w {
			words[i].syms = append(words[i].syms, string(r))
		}
		words[i].n = counts[w]
	}
	vocab := map[string]int{"<|endoftext|>": 0}
	for b := 0; b < 256; b++ {
		vocab[string(enc[b])] = len(vocab)
	}
	var merges []string
	for len(merges) < nMerges {
		pairs := map[[2]string]int{}
		for _, w := range words {
			for i := 0; i+1 < len(w.syms); i++ {
				pairs[[2]string{w.syms[i], w.syms[i+1]}] += w.n
			}
		}
		best, bestN := [2]string{}, 1
		for p, n := range pairs {
			if n > bestN || n == bestN && (p[0]+" "+p[1]) < (best[0]+" "+best[1]) {
				best, bestN = p, n
			}
		}
		if bestN < 2 {
			break
		}
		merges = append(merges, best[0]+" "+best[1])
		if _, ok := vocab[best[0]+best[1]]; !ok {
			vocab[best[0]+best[1]] = len(vocab)
		}
		for wi := range words {
			s := words[wi].syms
			out := s[:0]
			for i := 0; i < len(s); i++ {
				if i+1 < len(s) && s[i] == best[0] && s[i+1] == best[1] {
					out = append(out, best[0]+best[1])
					i++
					continue
				}
				out = append(out, s[i])
			}
			words[wi].syms = out
		}
	}
	bl := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
	doc := map[string]any{
		"version": "1.0",
		"added_tokens": []any{map[string]any{"id": 0, "content": "<|endoftext|>", "single_word": false,
			"lstrip": false, "rstrip": false, "normalized": false, "special": true}},
		"normalizer":     map[string]any{"type": "NFC"},
		"pre_tokenizer":  bl,
		"post_processor": bl,
		"decoder":        bl,
		"model":          map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	}
	data, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// trainedTokenizer is a Tokenizer from trainedJSON on English-like text.
func trainedTokenizer(tb testing.TB, nMerges int) *Tokenizer {
	tb.Helper()
	tok, err := Parse(trainedJSON(tb, englishText(200_000), nMerges))
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}
