package loop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

// ErrInterrupted is returned by Run.Train when its context was cancelled:
// the step in progress was finished and a checkpoint saved.
var ErrInterrupted = errors.New("training interrupted; checkpoint saved, continue with -resume")

// Options are a run's hyper-parameters, saved in every checkpoint.
type Options struct {
	Steps       int     `json:"steps"`
	Batch       int     `json:"batch"`
	Seq         int     `json:"seq"`
	LR          float64 `json:"lr"`
	MinLR       float64 `json:"min_lr"`
	Warmup      int     `json:"warmup"`
	Clip        float64 `json:"clip"`
	WeightDecay float64 `json:"weight_decay"`
	EvalEvery   int     `json:"eval_every"`   // 0 = only at the end
	SaveEvery   int     `json:"save_every"`   // 0 = only at the end
	EvalBatches int     `json:"eval_batches"` // 0 = every evaluation window
}

// Validate checks the options.
func (o *Options) Validate() error {
	switch {
	case o.Steps < 1:
		return fmt.Errorf("steps %d: want at least 1", o.Steps)
	case o.Batch < 1:
		return fmt.Errorf("batch %d: want at least 1", o.Batch)
	case o.Seq < 2:
		return fmt.Errorf("seq %d: want at least 2", o.Seq)
	case !(o.LR > 0):
		return fmt.Errorf("lr %g: want > 0", o.LR)
	case o.MinLR < 0 || o.MinLR > o.LR:
		return fmt.Errorf("min lr %g: want in [0, lr]", o.MinLR)
	case o.Warmup < 0 || o.Warmup > o.Steps:
		return fmt.Errorf("warmup %d: want in [0, steps]", o.Warmup)
	case o.EvalEvery < 0 || o.SaveEvery < 0:
		return errors.New("eval-every and save-every must not be negative")
	}
	return nil
}

// Progress is reported after every step.
type Progress struct {
	Step, Steps int
	Loss        float64 // this step's training loss (nats per token)
	EvalLoss    float64 // the latest validation loss, NaN before the first
	TokS        float64 // tokens per second, averaged since the start or resume
}

// Run is one training run writing into directory Out.
type Run struct {
	Out       string
	Options   Options
	Seed      uint64
	Threads   int
	Config    *model.Config
	Model     bundle.Model // recorded in each checkpoint's bundle
	Tokenizer []byte       // tokenizer.json for the bundle; nil = byte tokenizer
	DataHash  string       // of the training data, checked on resume

	Specs     []model.TensorSpec
	Params    [][]float32
	Objective Objective
	Optimizer Optimizer
	Data      *Batcher
	Eval      [][][]int // validation batches

	// Resume continues from Out's checkpoint: its weights, optimizer state
	// and step.
	Resume bool
	// Until, when in (0, Options.Steps), stops the run after that step as an
	// interrupt would (checkpoint saved), leaving the schedule of
	// Options.Steps intact: a reproducible way to split a run.
	Until int
	// OnProgress, when set, is called after each step.
	OnProgress func(Progress)
	// Warn receives non-fatal notices (e.g. a resume with another thread count).
	Warn func(string)
}

// Result summarises a finished run.
type Result struct {
	Step     int
	Loss     float64 // last training loss
	EvalLoss float64 // final validation loss (NaN without validation data)
}

// Train runs the steps after the checkpoint (or from step 1), evaluating
// and saving as the options say, and always saves at the end. When ctx is
// cancelled it finishes the current step, saves and returns ErrInterrupted.
func (r *Run) Train(ctx context.Context) (*Result, error) {
	if err := r.Options.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.Out, 0o755); err != nil {
		return nil, err
	}
	start := 0
	fp := fmt.Sprintf("%x", r.Config.Fingerprint())
	if r.Resume {
		st, err := LoadCheckpoint(r.Out, r.Config, r.Specs, r.Params, r.Optimizer)
		if err != nil {
			return nil, err
		}
		if err := r.checkResume(st); err != nil {
			return nil, err
		}
		start = st.Step
	} else if HasCheckpoint(r.Out) {
		return nil, fmt.Errorf("%s already holds a checkpoint: give -resume to continue it, or another -out", r.Out)
	}
	mlog, err := openMetrics(filepath.Join(r.Out, MetricsFile), start)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer mlog.close()

	o := r.Options
	lr := Cosine(o.Warmup, o.Steps, o.LR, o.MinLR)
	grads := Zeros(r.Specs)
	res := &Result{Step: start, EvalLoss: nanf()}
	save := func(step int) error {
		res.Step = step
		if err := r.save(step, res.Loss, fp); err != nil {
			return err
		}
		recs, err := ReadMetrics(filepath.Join(r.Out, MetricsFile))
		if err != nil {
			return err
		}
		return PlotLoss(filepath.Join(r.Out, PlotFile), recs)
	}
	t0, tokens := time.Now(), 0
	for step := start + 1; step <= o.Steps; step++ {
		ts := time.Now()
		batch := r.Data.Batch(step)
		loss, err := r.Objective.LossAndGrad(r.Params, grads, batch)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", step, err)
		}
		if !isFinite(loss) {
			return nil, fmt.Errorf("step %d: loss is %v; lower -lr or check the data", step, loss)
		}
		norm := ClipNorm(grads, o.Clip)
		rate := lr(step)
		r.Optimizer.Update(r.Params, grads, rate)
		n := o.Batch * o.Seq
		tokens += n
		rec := Record{Step: step, Loss: loss, LR: rate, GradNorm: norm, TokS: float64(n) / time.Since(ts).Seconds()}
		res.Loss = loss
		if (o.EvalEvery > 0 && step%o.EvalEvery == 0) || step == o.Steps {
			if ev, ok, err := r.evaluate(); err != nil {
				return nil, fmt.Errorf("step %d: eval: %w", step, err)
			} else if ok {
				rec.EvalLoss, res.EvalLoss = &ev, ev
			}
		}
		if err := mlog.add(&rec); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		if r.OnProgress != nil {
			r.OnProgress(Progress{Step: step, Steps: o.Steps, Loss: loss, EvalLoss: res.EvalLoss, TokS: float64(tokens) / time.Since(t0).Seconds()})
		}
		stop := ctx.Err() != nil || step == r.Until
		if step == o.Steps || stop || (o.SaveEvery > 0 && step%o.SaveEvery == 0) {
			if err := save(step); err != nil {
				return nil, err
			}
		}
		if stop && step < o.Steps {
			if ctx.Err() == nil {
				return res, nil // reached Until
			}
			return res, ErrInterrupted
		}
	}
	if start >= o.Steps { // nothing left to do: make sure the outputs exist
		res.Step = start
		if ev, ok, err := r.evaluate(); err == nil && ok {
			res.EvalLoss = ev
		}
	}
	return res, nil
}

// checkResume refuses a checkpoint of another run.
func (r *Run) checkResume(st *State) error {
	if st.Seed != r.Seed {
		return fmt.Errorf("resume: the checkpoint was trained with -seed %d, not %d", st.Seed, r.Seed)
	}
	if st.Data != r.DataHash {
		return errors.New("resume: the training data differs from the checkpoint's")
	}
	a, b := st.Options, r.Options
	a.Steps, b.Steps = 0, 0 // more steps may be asked for (the schedule then changes)
	a.SaveEvery, b.SaveEvery, a.EvalEvery, b.EvalEvery = 0, 0, 0, 0
	if a != b {
		return fmt.Errorf("resume: options differ from the checkpoint's (%+v, want %+v)", r.Options, st.Options)
	}
	if r.Warn != nil && st.Threads != r.Threads {
		r.Warn(fmt.Sprintf("resuming with -threads %d, the checkpoint used %d: results are no longer bit-identical to an uninterrupted run", r.Threads, st.Threads))
	}
	if r.Warn != nil && st.Options.Steps != r.Options.Steps {
		r.Warn(fmt.Sprintf("resuming with -steps %d, the checkpoint's run had %d: the learning-rate schedule changes", r.Options.Steps, st.Options.Steps))
	}
	return nil
}

func (r *Run) save(step int, loss float64, fp string) error {
	return SaveCheckpoint(r.Out, &Checkpoint{
		Model: r.Model, Tokenizer: r.Tokenizer, Specs: r.Specs, Params: r.Params, Optimizer: r.Optimizer,
		State: State{Step: step, Seed: r.Seed, Threads: r.Threads, Options: r.Options, Config: fp, Data: r.DataHash, Loss: loss},
	})
}

// evaluate returns the mean loss over the validation batches.
func (r *Run) evaluate() (float64, bool, error) {
	if len(r.Eval) == 0 {
		return 0, false, nil
	}
	var sum float64
	for _, b := range r.Eval {
		l, err := r.Objective.Loss(r.Params, b)
		if err != nil {
			return 0, false, err
		}
		sum += l
	}
	return sum / float64(len(r.Eval)), true, nil
}

// EvalBatches groups windows into batches of at most size (the last one may
// be smaller).
func EvalBatches(windows [][]int, size int) [][][]int {
	var out [][][]int
	for i := 0; i < len(windows); i += size {
		out = append(out, windows[i:min(i+size, len(windows))])
	}
	return out
}
