// Command train trains an xLSTM model on a text file on the CPU and writes
// checkpoints that cmd/generate, cmd/convert and cmd/serve load.
//
//	train -config FILE -data FILE [-val FILE] -tokenizer byte|FILE -out DIR
//	      [-steps N] [-batch B] [-seq S] [-lr LR] [-min-lr LR] [-warmup N]
//	      [-clip C] [-weight-decay W] [-seed S] [-threads N] [-save-every N]
//	      [-eval-every N] [-eval-batches N] [-resume] [-until N] [-device cpu|cuda]
//
// DIR receives metrics.jsonl (one line per step: loss, eval loss, lr, grad
// norm, tok/s), loss.png, and checkpoints: DIR/checkpoint is a weight bundle
// (plus the optimizer state in separate files) written atomically. SIGINT
// finishes the current step, saves and exits; -resume continues from
// DIR/checkpoint exactly as if the run had not stopped (same seed and
// thread count give bit-identical weights). -until N stops after step N
// the same way, keeping the schedule of -steps.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/xlstm-go/xlstm/cuda"
	"github.com/xlstm-go/xlstm/runtime/train/loop"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case errors.Is(err, loop.ErrInterrupted):
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

// options are the parsed flags.
type options struct {
	config, data, val, tokenizer, out, device string
	seed                                      uint64
	threads                                   int
	resume                                    bool
	until                                     int
	set                                       map[string]bool // flags given explicitly
	loop                                      loop.Options
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{set: map[string]bool{}}
	l := &o.loop
	fs.StringVar(&o.config, "config", "", "model config (config.yaml of the original xLSTM LM or xLSTM Large, or config.json)")
	fs.StringVar(&o.data, "data", "", "training text file")
	fs.StringVar(&o.val, "val", "", "validation text file (default: the last 5% of -data)")
	fs.StringVar(&o.tokenizer, "tokenizer", "byte", "byte, or a tokenizer file (tokenizer.json or a byte tokenizer spec)")
	fs.StringVar(&o.out, "out", "", "run directory: checkpoints, metrics.jsonl, loss.png")
	fs.IntVar(&l.Steps, "steps", 1000, "optimizer steps")
	fs.IntVar(&l.Batch, "batch", 16, "sequences per step")
	fs.IntVar(&l.Seq, "seq", 128, "tokens per sequence")
	fs.Float64Var(&l.LR, "lr", 2e-3, "peak learning rate")
	fs.Float64Var(&l.MinLR, "min-lr", -1, "final learning rate of the cosine decay (default lr/10)")
	fs.IntVar(&l.Warmup, "warmup", 100, "linear warm-up steps")
	fs.Float64Var(&l.Clip, "clip", 1, "clip the global gradient norm to this (0 = off)")
	fs.Float64Var(&l.WeightDecay, "weight-decay", 0.1, "AdamW weight decay of the matrices")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the initial weights and the batches")
	fs.IntVar(&o.threads, "threads", 2, "worker goroutines (results are bit-identical for the same count)")
	fs.IntVar(&l.SaveEvery, "save-every", 200, "checkpoint every N steps (0 = only at the end)")
	fs.IntVar(&l.EvalEvery, "eval-every", 100, "validation loss every N steps (0 = only at the end)")
	fs.IntVar(&l.EvalBatches, "eval-batches", 8, "validation batches per evaluation (0 = all of the validation data)")
	fs.BoolVar(&o.resume, "resume", false, "continue from DIR/checkpoint")
	fs.IntVar(&o.until, "until", 0, "stop after this step, saving, as SIGINT would (0 = run all -steps); continue with -resume")
	fs.StringVar(&o.device, "device", "cpu", "cpu, or cuda (needs a CUDA build)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if l.MinLR < 0 {
		l.MinLR = l.LR / 10
	}
	if !o.set["warmup"] && l.Warmup > l.Steps/2 { // the default warm-up must fit short runs
		l.Warmup = l.Steps / 10
	}
	switch {
	case o.config == "":
		return nil, errors.New("-config FILE is required")
	case o.data == "":
		return nil, errors.New("-data FILE is required")
	case o.out == "":
		return nil, errors.New("-out DIR is required")
	case o.threads < 1:
		return nil, fmt.Errorf("-threads %d: want at least 1", o.threads)
	case o.until < 0:
		return nil, fmt.Errorf("-until %d: must not be negative", o.until)
	case l.EvalBatches < 0:
		return nil, fmt.Errorf("-eval-batches %d: must not be negative", l.EvalBatches)
	}
	if err := checkDevice(o.device); err != nil {
		return nil, err
	}
	if err := l.Validate(); err != nil {
		return nil, fmt.Errorf("-%w", err)
	}
	return o, nil
}

// checkDevice accepts cpu. For cuda it reports why the GPU cannot be used
// (cuda.Available: no CUDA in this build, no driver or no device) and
// otherwise that the GPU training loop is not written yet (issue 12).
func checkDevice(d string) error {
	switch d {
	case "cpu":
		return nil
	case "cuda":
		if err := cuda.Available(); err != nil {
			return fmt.Errorf("-device cuda: %w; use -device cpu", err)
		}
		return errors.New("-device cuda: the GPU training loop is not written yet (issue 12: only the kernels exist); use -device cpu")
	}
	return fmt.Errorf("-device %q: want cpu or cuda", d)
}
