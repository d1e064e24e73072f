package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/xlstm-go/xlstm/runtime/train/loop"
)

// progress shows training progress: a bar with loss, tok/s and ETA on a
// terminal, a log line every few seconds otherwise.
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	last  time.Time
	start time.Time
	first int
}

func newProgress(stderr io.Writer, steps int) *progress {
	p := &progress{w: stderr, start: time.Now(), first: -1}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(steps,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(25),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
		)
	}
	return p
}

func (p *progress) update(s loop.Progress) {
	if p.first < 0 {
		p.first = s.Step - 1
		p.start = time.Now()
	}
	desc := fmt.Sprintf("loss %.3f", s.Loss)
	if !math.IsNaN(s.EvalLoss) {
		desc += fmt.Sprintf(" eval %.3f", s.EvalLoss)
	}
	desc += fmt.Sprintf(" %.0f tok/s", s.TokS)
	if p.bar != nil {
		p.bar.Describe(desc)
		p.bar.Set(s.Step)
		return
	}
	if time.Since(p.last) < 5*time.Second && s.Step != s.Steps {
		return
	}
	p.last = time.Now()
	eta := "?"
	if done := s.Step - p.first; done > 0 {
		left := time.Duration(float64(time.Since(p.start)) / float64(done) * float64(s.Steps-s.Step))
		eta = left.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "train: step %d/%d %s, ETA %s\n", s.Step, s.Steps, desc, eta)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
