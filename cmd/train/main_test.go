package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/runtime/train/loop"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

const tinyConfig = "testdata/tiny.yaml"

// words makes n bytes of seeded pseudo-English: words of a small lexicon
// with punctuation, learnable well beyond a unigram byte model.
func words(n int, seed uint64) []byte {
	lex := strings.Fields("the of and to in that he it was for on are with as his they be at one have this from or had by word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them would write like so these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now find")
	rng := rand.New(rand.NewPCG(seed, 3))
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(lex[rng.IntN(len(lex))])
		switch rng.IntN(12) {
		case 0:
			b.WriteString(".\n")
		case 1:
			b.WriteString(", ")
		default:
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

// corpus writes a training and a validation file into dir.
func corpus(t *testing.T, dir string) (trainPath, valPath string) {
	t.Helper()
	trainPath, valPath = filepath.Join(dir, "train.txt"), filepath.Join(dir, "valid.txt")
	if err := os.WriteFile(trainPath, words(200_000, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(valPath, words(20_000, 2), 0o644); err != nil {
		t.Fatal(err)
	}
	return trainPath, valPath
}

func TestFlagErrors(t *testing.T) {
	base := []string{"-config", "c.yaml", "-data", "d.txt", "-out", "o"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no config", []string{"-data", "d", "-out", "o"}, "-config"},
		{"no data", []string{"-config", "c", "-out", "o"}, "-data"},
		{"no out", []string{"-config", "c", "-data", "d"}, "-out"},
		{"cuda", append(base, "-device", "cuda"), "built without CUDA support"},
		{"bad device", append(base, "-device", "tpu"), `-device "tpu"`},
		{"threads", append(base, "-threads", "0"), "-threads"},
		{"steps", append(base, "-steps", "0"), "steps 0"},
		{"seq", append(base, "-seq", "1"), "seq 1"},
		{"lr", append(base, "-lr", "-1"), "lr -1"},
		{"warmup", append(base, "-steps", "10", "-warmup", "20"), "warmup 20"},
		{"extra arg", append(base, "x"), `unexpected argument "x"`},
		{"missing config file", base, "-config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestDataErrors(t *testing.T) {
	dir := t.TempDir()
	trainPath, _ := corpus(t, dir)
	short := filepath.Join(dir, "short.txt")
	os.WriteFile(short, []byte("abc"), 0o644)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("vocab_size: 100\nnum_blocks: x\n"), 0o644)
	small := filepath.Join(dir, "small.yaml")
	cfg, _ := os.ReadFile(tinyConfig)
	os.WriteFile(small, bytes.Replace(cfg, []byte("vocab_size: 256"), []byte("vocab_size: 100"), 1), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"short data", []string{"-config", tinyConfig, "-data", short, "-out", filepath.Join(dir, "o1"), "-seq", "64"}, "shorter than one sequence"},
		{"bad config", []string{"-config", bad, "-data", trainPath, "-out", filepath.Join(dir, "o2")}, "bad.yaml"},
		{"vocab too small", []string{"-config", small, "-data", trainPath, "-out", filepath.Join(dir, "o3")}, "vocab_size 100"},
		{"missing tokenizer", []string{"-config", tinyConfig, "-data", trainPath, "-out", filepath.Join(dir, "o4"), "-tokenizer", filepath.Join(dir, "none.json")}, "-tokenizer"},
		{"resume without checkpoint", []string{"-config", tinyConfig, "-data", trainPath, "-out", filepath.Join(dir, "o5"), "-resume"}, "resume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestTinyBeatsUnigram trains the tiny model a few hundred steps and checks
// that its validation loss is below the unigram byte model's.
func TestTinyBeatsUnigram(t *testing.T) {
	dir := t.TempDir()
	trainPath, valPath := corpus(t, dir)
	out := filepath.Join(dir, "run")
	var stdout, stderr bytes.Buffer
	args := []string{"-config", tinyConfig, "-data", trainPath, "-val", valPath, "-out", out,
		"-steps", "250", "-batch", "8", "-seq", "64", "-lr", "1e-2", "-warmup", "20", "-eval-every", "50", "-save-every", "0", "-eval-batches", "4"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	recs, err := loop.ReadMetrics(filepath.Join(out, loop.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 250 || recs[249].EvalLoss == nil {
		t.Fatalf("%d metrics records, last without eval loss", len(recs))
	}
	trainTok, valTok := readTokens(t, trainPath), readTokens(t, valPath)
	uni, err := loop.NGramBits(trainTok, valTok, 256, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := *recs[249].EvalLoss / math.Ln2
	t.Logf("validation %.3f bits/byte after 250 steps; unigram %.3f (first step's loss %.3f bits)", got, uni, recs[0].Loss/math.Ln2)
	if !(got < uni) {
		t.Fatalf("validation %.3f bits/byte, not below the unigram baseline's %.3f", got, uni)
	}
	for _, f := range []string{loop.PlotFile, filepath.Join(loop.LinkName, "manifest.json")} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func readTokens(t *testing.T, path string) []int32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int32, len(data))
	for i, b := range data {
		out[i] = int32(b)
	}
	return out
}

// weightsHash is the sha256 of every tensor's bytes of the bundle at dir, in
// manifest order.
func weightsHash(t *testing.T, dir string) string {
	t.Helper()
	r, err := bundle.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := sha256.New()
	for _, name := range r.Names() {
		raw, err := r.Raw(name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s\n", name)
		h.Write(raw)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
