package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// convertCmd runs the command in-process and returns its error and stderr.
func convertCmd(args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// mustConvert converts in to a new bundle directory and returns it.
func mustConvert(t *testing.T, in string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle")
	log, err := convertCmd(append([]string{"-in", in, "-out", out}, args...)...)
	if err != nil {
		t.Fatalf("convert %s %v: %v\n%s", in, args, err, log)
	}
	return out
}

// reference holds a set's tokens and reference logits.
type reference struct {
	dir    string
	tokens [][]int
	logits [][]float32 // per sequence, S×V
	vocab  int
}

// loadReference reads io.safetensors: logits_parallel for the original LM
// (full mode) and logits_chunkwise for xLSTM Large.
func loadReference(t *testing.T, set string) *reference {
	t.Helper()
	dir := testref.Dir(t, filepath.Join("xlstm", "reference", set))
	f, err := safetensors.Open(filepath.Join(dir, "io.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	toks, err := f.Int64("tokens")
	if err != nil {
		t.Fatal(err)
	}
	key := "logits_parallel"
	if set == "xlstm_large" {
		key = "logits_chunkwise"
	}
	lg, err := f.Float32(key)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := f.Info(key)
	b, s, v := info.Shape[0], info.Shape[1], info.Shape[2]
	r := &reference{dir: dir, vocab: v}
	for i := 0; i < b; i++ {
		seq := make([]int, s)
		for j := range seq {
			seq[j] = int(toks[i*s+j])
		}
		r.tokens = append(r.tokens, seq)
		r.logits = append(r.logits, lg[i*s*v:(i+1)*s*v])
	}
	return r
}

// forward loads a model directory (bundle or checkpoint) and returns the
// full-sequence logits of each reference sequence.
func forward(t *testing.T, dir string, ref *reference) [][]float32 {
	t.Helper()
	m, err := model.Load[float32](dir)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]float32
	for _, seq := range ref.tokens {
		lg, err := m.Forward(seq)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, lg)
	}
	return out
}

// compare returns the max abs difference and the share of positions whose
// argmax agrees.
func compare(a, b [][]float32, v int) (maxAbs, top1 float64) {
	agree, n := 0, 0
	for i := range a {
		for p := 0; p*v < len(a[i]); p++ {
			x, y := a[i][p*v:(p+1)*v], b[i][p*v:(p+1)*v]
			for j := range x {
				maxAbs = math.Max(maxAbs, math.Abs(float64(x[j]-y[j])))
			}
			if argmax(x) == argmax(y) {
				agree++
			}
			n++
		}
	}
	return maxAbs, float64(agree) / float64(n)
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// buildGenerate builds cmd/generate into a temporary directory.
func buildGenerate(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds cmd/generate; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "generate")
	cmd := exec.Command("go", "build", "-o", bin, "../generate")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot build cmd/generate (%v): %s", err, out)
	}
	return bin
}

// dumpLogits runs generate -dump-logits on one sequence.
func dumpLogits(t *testing.T, bin, dir string, seq []int) []float32 {
	t.Helper()
	parts := make([]string, len(seq))
	for i, x := range seq {
		parts[i] = fmt.Sprint(x)
	}
	out := filepath.Join(t.TempDir(), "logits.safetensors")
	cmd := exec.Command(bin, "-model", dir, "-tokens", strings.Join(parts, ","), "-mode", "full", "-dump-logits", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generate: %v: %s", err, msg)
	}
	f, err := safetensors.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lg, err := f.Float32("logits")
	if err != nil {
		t.Fatal(err)
	}
	return lg
}

// noLeftovers fails when dir's parent holds anything but want.
func noLeftovers(t *testing.T, parent string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("%s holds %v, want %v", parent, names, want)
	}
}
