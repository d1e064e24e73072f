package loop

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

// markovText draws n tokens of a first-order Markov chain over vocab ids
// whose rows prefer a few successors: learnable by a bigram, not by a
// unigram.
func markovText(n, vocab int, seed uint64) []int32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]int32, n)
	for i := 1; i < n; i++ {
		prev := int(out[i-1])
		if rng.Float64() < 0.8 {
			out[i] = int32((prev*7 + 3 + rng.IntN(2)) % vocab)
		} else {
			out[i] = int32(rng.IntN(vocab))
		}
	}
	return out
}

// newTestRun builds a bigram-objective run over Markov text in dir.
func newTestRun(t *testing.T, dir string, steps int) *Run {
	t.Helper()
	const vocab = 16
	cfg, err := model.ParseConfigYAML([]byte(modeltest.TinyLM))
	if err != nil {
		t.Fatal(err)
	}
	tokens := markovText(20000, vocab, 1)
	b, err := NewBatcher(tokens[:18000], 4, 32, 7)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Windows(tokens[18000:], 32, 0)
	if err != nil {
		t.Fatal(err)
	}
	specs := bigramSpecs(vocab)
	return &Run{
		Out: dir, Seed: 7, Threads: 1, Config: cfg, DataHash: "test",
		Model: bundle.Model{Family: cfg.Family.String(), ConfigFormat: "yaml", Config: modeltest.TinyLM},
		Options: Options{Steps: steps, Batch: 4, Seq: 32, LR: 0.1, MinLR: 0.01, Warmup: 5, Clip: 1,
			WeightDecay: 0.01, EvalEvery: 10, SaveEvery: 7},
		Specs: specs, Params: Zeros(specs), Objective: &bigramObjective{vocab}, Optimizer: NewAdamW(specs, 0.01),
		Data: b, Eval: EvalBatches(w, 8),
	}
}

func TestTrainBeatsUnigram(t *testing.T) {
	r := newTestRun(t, t.TempDir(), 150)
	res, err := r.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tokens := markovText(20000, 16, 1)
	uni, err := NGramBits(tokens[:18000], tokens[18000:], 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	bi, err := NGramBits(tokens[:18000], tokens[18000:], 16, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := res.EvalLoss / math.Ln2
	t.Logf("validation %.3f bits/token; unigram %.3f, bigram %.3f", got, uni, bi)
	if !(got < uni-0.5) || !(got < bi+0.1) {
		t.Fatalf("validation %.3f bits/token: want well below the unigram's %.3f and near the bigram's %.3f", got, uni, bi)
	}
	recs, err := ReadMetrics(filepath.Join(r.Out, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 150 || recs[149].EvalLoss == nil || recs[9].EvalLoss == nil || recs[10].EvalLoss != nil {
		t.Fatalf("metrics: %d records, eval at the wrong steps", len(recs))
	}
	for _, f := range []string{PlotFile, filepath.Join(LinkName, "manifest.json"), filepath.Join(LinkName, OptimizerFile)} {
		if _, err := os.Stat(filepath.Join(r.Out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestResumeBitIdentical stops a run (as SIGINT does) and resumes it: the
// final parameters and optimizer state equal an uninterrupted run's.
func TestResumeBitIdentical(t *testing.T) {
	const steps = 40
	whole := newTestRun(t, t.TempDir(), steps)
	if _, err := whole.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, stopAt := range []int{1, 12, 14, -20} { // 14 is a save step: the stop saves again; -20: Until 20
		dir := t.TempDir()
		a := newTestRun(t, dir, steps)
		ctx, cancel := context.WithCancel(context.Background())
		cancelAt := stopAt
		a.OnProgress = func(p Progress) {
			if p.Step == cancelAt {
				cancel()
			}
		}
		if stopAt < 0 {
			stopAt, a.Until = -stopAt, -stopAt
			if res, err := a.Train(ctx); err != nil || res.Step != stopAt {
				t.Fatalf("until %d: err %v, stopped at %d", stopAt, err, res.Step)
			}
		} else if _, err := a.Train(ctx); !errors.Is(err, ErrInterrupted) {
			t.Fatalf("stop at %d: err %v, want ErrInterrupted", stopAt, err)
		}
		b := newTestRun(t, dir, steps)
		b.Resume = true
		res, err := b.Train(context.Background())
		if err != nil {
			t.Fatalf("resume after %d: %v", stopAt, err)
		}
		if res.Step != steps {
			t.Fatalf("resume ended at step %d", res.Step)
		}
		if !slices.Equal(b.Params[0], whole.Params[0]) || !slices.Equal(b.Optimizer.Slots()[1][0], whole.Optimizer.Slots()[1][0]) {
			t.Fatalf("stop at %d: resumed weights differ from the uninterrupted run's", stopAt)
		}
		recs, err := ReadMetrics(filepath.Join(dir, MetricsFile))
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != steps {
			t.Fatalf("stop at %d: %d metrics records, want %d", stopAt, len(recs), steps)
		}
	}
}

func TestResumeErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := newTestRun(t, dir, 5).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(r *Run)
		want   string
	}{
		{"no resume flag", func(r *Run) { r.Resume = false }, "-resume"},
		{"other seed", func(r *Run) { r.Seed = 8 }, "-seed"},
		{"other data", func(r *Run) { r.DataHash = "x" }, "data"},
		{"other batch", func(r *Run) { r.Options.Batch = 5 }, "options differ"},
		{"other config", func(r *Run) {
			cfg, _ := model.ParseConfigYAML([]byte(strings.Replace(modeltest.TinyLM, "num_blocks: 3", "num_blocks: 2", 1)))
			r.Config = cfg
		}, "config"},
		{"no checkpoint", func(r *Run) { r.Out = t.TempDir() }, "no checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRun(t, dir, 10)
			r.Resume = true
			tt.change(r)
			_, err := r.Train(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	t.Run("corrupt optimizer", func(t *testing.T) {
		p := filepath.Join(dir, LinkName, OptimizerFile)
		data, _ := os.ReadFile(p)
		data[len(data)-1] ^= 1
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := newTestRun(t, dir, 10)
		r.Resume = true
		if _, err := r.Train(context.Background()); err == nil || !strings.Contains(err.Error(), OptimizerFile) {
			t.Fatalf("err %v, want one naming %s", err, OptimizerFile)
		}
	})
}

func TestBatcherDeterministic(t *testing.T) {
	tokens := markovText(1000, 16, 2)
	a, _ := NewBatcher(tokens, 3, 10, 5)
	b, _ := NewBatcher(tokens, 3, 10, 5)
	x := clone2(a.Batch(4))
	a.Batch(5)
	if y := b.Batch(4); !equal2(x, y) {
		t.Fatal("same seed and step gave different batches")
	}
	if y := b.Batch(5); equal2(x, y) {
		t.Fatal("different steps gave the same batch")
	}
	for _, bad := range []struct{ batch, seq int }{{0, 10}, {1, 1}, {1, 2000}} {
		if _, err := NewBatcher(tokens, bad.batch, bad.seq, 1); err == nil {
			t.Errorf("NewBatcher(batch %d, seq %d): no error", bad.batch, bad.seq)
		}
	}
}

func TestWindows(t *testing.T) {
	tokens := []int32{0, 1, 2, 3, 4, 5, 6, 7}
	w, err := Windows(tokens, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{0, 1, 2}, {2, 3, 4}, {4, 5, 6}}
	if !equal2(w, want) {
		t.Fatalf("windows %v, want %v", w, want)
	}
	if w, _ := Windows(tokens, 3, 2); len(w) != 2 {
		t.Fatalf("max 2: %d windows", len(w))
	}
	if _, err := Windows(tokens, 9, 0); err == nil {
		t.Fatal("window longer than the data: no error")
	}
}

func TestNGramBits(t *testing.T) {
	// Uniform data over 4 symbols with vocab 4: the unigram is 2 bits.
	var train []int32
	for i := 0; i < 4000; i++ {
		train = append(train, int32(i%4))
	}
	uni, err := NGramBits(train, train[:400], 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(uni-2) > 1e-9 {
		t.Fatalf("unigram %.6f bits, want 2", uni)
	}
	// The sequence is deterministic given the previous symbol: the bigram is near 0.
	bi, _ := NGramBits(train, train[:400], 4, 2)
	if bi > 0.01 {
		t.Fatalf("bigram %.4f bits, want about 0", bi)
	}
	if _, err := NGramBits(train, []int32{5}, 4, 1); err == nil {
		t.Fatal("token outside the vocabulary: no error")
	}
	if _, err := NGramBits(train, train, 4, 3); err == nil {
		t.Fatal("order 3: no error")
	}
}

func clone2(x [][]int) [][]int {
	out := make([][]int, len(x))
	for i := range x {
		out[i] = slices.Clone(x[i])
	}
	return out
}

func equal2(a, b [][]int) bool {
	return slices.EqualFunc(a, b, func(x, y []int) bool { return slices.Equal(x, y) })
}
