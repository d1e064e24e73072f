// Command evaluate measures a byte-level model bundle on a validation text
// in bits per byte, beside unigram and bigram byte models fitted on the
// training text, and writes a Markdown report with a generated sample
// (what `make train-default` puts in results/default-model.md).
//
//	evaluate -model DIR -train FILE -val FILE[,FILE...] [-seq N] [-threads N]
//	         [-prompt TEXT] [-n N] [-temperature T] [-seed S] [-out FILE]
//
// The model scores the validation text in windows of -seq bytes that
// overlap by one, each from a fresh state, so every byte after the first is
// predicted once with up to -seq−1 bytes of context.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/sample"
	"github.com/xlstm-go/xlstm/runtime/train/loop"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "evaluate:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("model", "", "model bundle directory")
	trainPath := fs.String("train", "", "training text (for the n-gram baselines)")
	valPath := fs.String("val", "", "validation text files, comma-separated (one column each)")
	seq := fs.Int("seq", 128, "window length in bytes")
	threads := fs.Int("threads", 2, "goroutines of the model's matrix products")
	prompt := fs.String("prompt", "", "prompt of the sample (empty: no sample)")
	n := fs.Int("n", 300, "bytes to generate for the sample")
	temp := fs.Float64("temperature", 0.7, "sampling temperature of the sample")
	seed := fs.Uint64("seed", 1, "sampling seed")
	out := fs.String("out", "", "write the report here too")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *trainPath == "" || *valPath == "" {
		return errors.New("-model, -train and -val are required")
	}
	if *seq < 2 || *threads < 1 {
		return errors.New("-seq must be ≥ 2 and -threads ≥ 1")
	}
	b, err := engine.LoadBundle(os.DirFS(*dir))
	if err != nil {
		return err
	}
	if b.Tokenizer == nil || b.Tokenizer.Kind() != "byte" {
		return fmt.Errorf("%s: not a byte-level model: bits per byte need the byte tokenizer", *dir)
	}
	b.Model.SetThreads(*threads)
	vocab := b.Config.VocabSize
	read := func(p string) ([]int32, error) {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		return loop.Tokens(data, func(s string) []int { return b.Tokenizer.EncodeWith(s, false) }, vocab)
	}
	t0 := time.Now()
	trainTok, err := read(*trainPath)
	if err != nil {
		return err
	}
	type score struct {
		name           string
		model, uni, bi float64
		bytes, windows int
	}
	var scores []score
	for _, vp := range strings.Split(*valPath, ",") {
		valTok, err := read(vp)
		if err != nil {
			return err
		}
		windows, err := loop.Windows(valTok, *seq, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", vp, err)
		}
		var nll float64
		var count int
		for _, w := range windows {
			logits, err := b.Model.Forward(w)
			if err != nil {
				return err
			}
			for t := 0; t+1 < len(w); t++ {
				nll += crossEntropy(logits[t*vocab:(t+1)*vocab], w[t+1])
				count++
			}
		}
		sc := score{name: filepath.Base(vp), model: nll / float64(count) / math.Ln2, bytes: len(valTok), windows: len(windows)}
		if sc.uni, err = loop.NGramBits(trainTok, valTok, vocab, 1); err != nil {
			return err
		}
		if sc.bi, err = loop.NGramBits(trainTok, valTok, vocab, 2); err != nil {
			return err
		}
		scores = append(scores, sc)
	}
	var rep bytes.Buffer
	fmt.Fprintf(&rep, "| bits/byte on |")
	for _, sc := range scores {
		fmt.Fprintf(&rep, " %s (%d bytes) |", sc.name, sc.bytes)
	}
	fmt.Fprintf(&rep, "\n| --- |%s\n", strings.Repeat(" --- |", len(scores)))
	row := func(name string, f func(score) string) {
		fmt.Fprintf(&rep, "| %s |", name)
		for _, sc := range scores {
			fmt.Fprintf(&rep, " %s |", f(sc))
		}
		rep.WriteString("\n")
	}
	row(fmt.Sprintf("%s (%d parameters, %s)", filepath.Base(filepath.Clean(*dir)), b.Manifest.Params(), b.Manifest.DType), func(s score) string { return fmt.Sprintf("**%.3f**", s.model) })
	row("bigram byte model (fitted on the training split)", func(s score) string { return fmt.Sprintf("%.3f", s.bi) })
	row("unigram byte model (fitted on the training split)", func(s score) string { return fmt.Sprintf("%.3f", s.uni) })
	fmt.Fprintf(&rep, "\nThe model scores each file in windows of %d bytes overlapping by one (every byte after a window's first is predicted once, from a fresh state); training split %d bytes; %.0f s.\n",
		*seq, len(trainTok), time.Since(t0).Seconds())
	if *prompt != "" {
		text, err := generate(b, *prompt, *n, *temp, *seed)
		if err != nil {
			return err
		}
		fmt.Fprintf(&rep, "\nSample (prompt %q, %d bytes, temperature %g, seed %d):\n\n```text\n%s%s\n```\n", *prompt, *n, *temp, *seed, *prompt, text)
	}
	stdout.Write(rep.Bytes())
	if *out != "" {
		if err := os.WriteFile(*out, rep.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// crossEntropy is −log softmax(logits)[target] in nats.
func crossEntropy(logits []float32, target int) float64 {
	mx := math.Inf(-1)
	for _, x := range logits {
		mx = math.Max(mx, float64(x))
	}
	var z float64
	for _, x := range logits {
		z += math.Exp(float64(x) - mx)
	}
	return math.Log(z) + mx - float64(logits[target])
}

func generate(b *engine.Bundle, prompt string, n int, temp float64, seed uint64) (string, error) {
	e := engine.NewCPU(b.Model)
	defer e.Close()
	sess, err := e.NewSession()
	if err != nil {
		return "", err
	}
	defer sess.Close()
	ids, err := engine.PromptTokens(b.Tokenizer, b.Config, prompt)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	dec := b.Tokenizer.NewStreamDecoder()
	_, err = engine.Generate(context.Background(), sess, ids, engine.Options{MaxTokens: n, Params: sample.Params{Temperature: temp, Seed: seed}, EOS: -1, IgnoreEOS: true},
		func(id int) error { sb.WriteString(dec.Add(id)); return nil })
	sb.WriteString(dec.Flush())
	return sb.String(), err
}
