// Command experiment runs the synthetic-task experiments of `make
// experiment-parity` and `make experiment-recall`: it trains small original
// xLSTM LMs of three block layouts with runtime/train and measures their
// answer accuracy per test bucket, writing a Markdown table (and a plot).
//
//	experiment -task parity|recall [-out results] [-steps N] [-batch B]
//	           [-lr LR] [-seed S] [-threads N] [-samples N]
//
// parity: xLSTM[0:1] (sLSTM only), [1:0] (mLSTM only) and [1:1], trained on
// bit strings of length ≤ 40 and tested on lengths up to 256 (the xLSTM
// paper's length-generalisation test). recall: multi-query associative
// recall, accuracy against the number of key-value pairs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot/plotter"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/train"
	"github.com/xlstm-go/xlstm/runtime/train/loop"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "experiment:", err)
		}
		os.Exit(1)
	}
}

// variant is one model layout: which of its blocks are sLSTM blocks.
type variant struct {
	name   string
	slstm  []int
	blocks int
}

var variants = []variant{
	{"xLSTM[0:1]", []int{0, 1}, 2},
	{"xLSTM[1:0]", nil, 2},
	{"xLSTM[1:1]", []int{1}, 2},
}

// configYAML is a small original-LM config of the layout.
func configYAML(v variant, vocab, dim, ctx int) string {
	at := make([]string, len(v.slstm))
	for i, b := range v.slstm {
		at[i] = fmt.Sprint(b)
	}
	return fmt.Sprintf(`vocab_size: %d
context_length: %d
num_blocks: %d
embedding_dim: %d
slstm_at: [%s]
mlstm_block:
  mlstm:
    conv1d_kernel_size: 4
    qkv_proj_blocksize: 4
    num_heads: 2
slstm_block:
  slstm:
    backend: vanilla
    num_heads: 2
    conv1d_kernel_size: 4
    bias_init: powerlaw_blockdependent
  feedforward:
    proj_factor: 1.3
    act_fn: gelu
`, vocab, ctx, v.blocks, dim, strings.Join(at, ", "))
}

type settings struct {
	task                         string
	out                          string
	steps, batch, threads, nTest int
	dim                          int
	lr                           float64
	seed                         uint64
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("experiment", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := settings{}
	fs.StringVar(&s.task, "task", "", "parity or recall")
	fs.StringVar(&s.out, "out", "results", "directory for the tables and plots")
	fs.IntVar(&s.steps, "steps", 0, "training steps per model (default: parity 10000, recall 3000)")
	fs.IntVar(&s.batch, "batch", 0, "sequences per step (default: parity 32, recall 16)")
	fs.IntVar(&s.dim, "dim", 0, "embedding dimension (default: parity 32, recall 64)")
	fs.Float64Var(&s.lr, "lr", 3e-3, "peak learning rate")
	fs.Uint64Var(&s.seed, "seed", 1, "seed of the weights, the training data and the test data")
	fs.IntVar(&s.threads, "threads", 2, "trainer worker goroutines")
	fs.IntVar(&s.nTest, "samples", 200, "test examples per bucket")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var tk task
	switch s.task {
	case "parity":
		tk = parity{maxTrain: 40}
		s.steps, s.dim = orDefault(s.steps, 10000), orDefault(s.dim, 32)
		s.batch = orDefault(s.batch, 32)
	case "recall":
		tk = mqar{keys: 64, pairs: []int{2, 4, 8, 16}}
		s.steps, s.dim = orDefault(s.steps, 3000), orDefault(s.dim, 64)
		s.batch = orDefault(s.batch, 16)
	default:
		return fmt.Errorf("-task %q: want parity or recall", s.task)
	}
	if s.steps < 1 || s.batch < 1 || s.threads < 1 || s.nTest < 1 || !(s.lr > 0) {
		return errors.New("-steps, -batch, -threads, -samples and -lr must be positive")
	}
	if err := os.MkdirAll(s.out, 0o755); err != nil {
		return err
	}
	var rows []row
	for _, v := range variants {
		r, err := runVariant(s, tk, v, stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		rows = append(rows, *r)
	}
	return report(s, tk, rows, args, stdout)
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// row is one model's results.
type row struct {
	name     string
	params   int
	loss     float64 // mean training loss of the last 10% of steps
	acc      []float64
	duration time.Duration
}

// runVariantConfig parses a variant's config at the parity task's size.
func runVariantConfig(v variant) (*model.Config, error) {
	return model.ParseConfigYAML([]byte(configYAML(v, 4, 32, 1024)))
}

func runVariant(s settings, tk task, v variant, stderr io.Writer) (*row, error) {
	cfg, err := model.ParseConfigYAML([]byte(configYAML(v, tk.vocab(), s.dim, 1024)))
	if err != nil {
		return nil, err
	}
	p, err := train.InitParams(cfg, s.seed)
	if err != nil {
		return nil, err
	}
	tr, err := train.NewTrainer(cfg, s.threads)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	g, _ := train.NewParams(cfg)
	opt := train.NewAdamW(p, 0.9, 0.95, 1e-8, 0.1)
	opt.Decay = func(_ string, shape []int) bool { return len(shape) >= 2 }
	warm := s.steps / 10
	t0 := time.Now()
	var tail []float64
	for step := 0; step < s.steps; step++ {
		rng := rand.New(rand.NewPCG(s.seed, uint64(step)))
		loss, err := tr.LossAndGrad(p, tk.batch(rng, s.batch, float64(step)/float64(s.steps)), g)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", step+1, err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, fmt.Errorf("step %d: loss %v", step+1, loss)
		}
		train.ClipGradNorm(g, 1)
		opt.Update(p, g, train.CosineLR(step, warm, s.steps, s.lr, s.lr/10))
		if step >= s.steps-s.steps/10 {
			tail = append(tail, loss)
		}
		if (step+1)%100 == 0 {
			fmt.Fprintf(stderr, "%s %s: step %d/%d loss %.4f (%s)\n", s.task, v.name, step+1, s.steps, loss, time.Since(t0).Round(time.Second))
		}
	}
	m, err := model.New[float32](cfg, p.Source())
	if err != nil {
		return nil, err
	}
	m.SetThreads(s.threads)
	r := &row{name: v.name, params: p.Len(), loss: mean(tail)}
	test := rand.New(rand.NewPCG(s.seed, 1<<62)) // same test set for every model
	for b := range tk.buckets() {
		right, total := 0, 0
		for range s.nTest {
			toks, answers := tk.example(test, b)
			logits, err := m.Forward(toks)
			if err != nil {
				return nil, err
			}
			V := cfg.VocabSize
			for _, a := range answers {
				if argmax(logits[a*V:(a+1)*V]) == toks[a+1] {
					right++
				}
				total++
			}
		}
		r.acc = append(r.acc, float64(right)/float64(total))
	}
	r.duration = time.Since(t0)
	fmt.Fprintf(stderr, "%s %s: accuracy %v (%s)\n", s.task, v.name, r.acc, r.duration.Round(time.Second))
	return r, nil
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(max(len(v), 1))
}

func report(s settings, tk task, rows []row, args []string, stdout io.Writer) error {
	var b strings.Builder
	head := "bucket"
	switch s.task {
	case "parity":
		fmt.Fprintf(&b, "# Parity: length generalisation\n\nTrained on bit strings of length 1–40 (curriculum: the longest length drawn grows from 4 to 40 over the first half of training), tested on longer ones; accuracy of the parity answer (chance = 0.5), %d test strings per length bucket.\n\n", s.nTest)
		head = "length"
	case "recall":
		fmt.Fprintf(&b, "# Multi-query associative recall (MQAR)\n\nN key-value pairs (64 keys, 64 values), then every key again; accuracy of the recalled values (chance ≈ 1/64), %d test sequences per N; trained on N drawn uniformly from 1–%d.\n\n", s.nTest, tk.(mqar).pairs[len(tk.(mqar).pairs)-1])
		head = "pairs N"
	}
	fmt.Fprintf(&b, "| model | params | final train loss |")
	for _, name := range tk.buckets() {
		fmt.Fprintf(&b, " %s %s |", head, name)
	}
	b.WriteString("\n| --- | --- | --- |" + strings.Repeat(" --- |", len(tk.buckets())) + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %.4f |", r.name, r.params, r.loss)
		for _, a := range r.acc {
			fmt.Fprintf(&b, " %.3f |", a)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nEach model: 2 blocks, embedding %d, %d steps of batch %d, AdamW (lr %g, cosine, wd 0.1 on matrices), seed %d, %d threads; ",
		s.dim, s.steps, s.batch, s.lr, s.seed, s.threads)
	var times []string
	for _, r := range rows {
		times = append(times, fmt.Sprintf("%s %s", r.name, r.duration.Round(time.Second)))
	}
	fmt.Fprintf(&b, "time to train and test: %s.\n\nCommand: `go run ./cmd/train/experiment %s`\n", strings.Join(times, ", "), strings.Join(args, " "))
	name := map[string]string{"parity": "parity", "recall": "recall"}[s.task]
	if err := os.WriteFile(filepath.Join(s.out, name+".md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	io.WriteString(stdout, b.String())
	var series []plotter.XYs
	var names []string
	for _, r := range rows {
		var xy plotter.XYs
		for i, a := range r.acc {
			x := float64(i)
			switch t := tk.(type) {
			case parity:
				x = float64(parityBuckets[i][0]+parityBuckets[i][1]) / 2
			case mqar:
				x = float64(t.pairs[i])
			}
			xy = append(xy, plotter.XY{X: x, Y: a})
		}
		series, names = append(series, xy), append(names, r.name)
	}
	xl := map[string]string{"parity": "sequence length (bucket centre)", "recall": "key-value pairs N"}[s.task]
	return loop.PlotLines(filepath.Join(s.out, name+".png"), name+" accuracy", xl, "accuracy", names, series)
}
