package loop

import (
	"bytes"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// PlotLoss draws the training loss (and the evaluation loss where measured)
// against the step as a PNG, in bits per token, and writes it atomically to
// path.
func PlotLoss(path string, recs []Record) error {
	p := plot.New()
	p.Title.Text = "training loss"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "bits per token"
	p.Legend.Top = true // the curves fall towards the bottom right
	var train, eval plotter.XYs
	for _, r := range recs {
		train = append(train, plotter.XY{X: float64(r.Step), Y: r.Loss / math.Ln2})
		if r.EvalLoss != nil {
			eval = append(eval, plotter.XY{X: float64(r.Step), Y: *r.EvalLoss / math.Ln2})
		}
	}
	if len(train) > 0 {
		l, err := plotter.NewLine(train)
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		l.Color = plotColor(0)
		p.Add(l)
		p.Legend.Add("train", l)
	}
	if len(eval) > 0 {
		l, s, err := plotter.NewLinePoints(eval)
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		l.Color, s.Color = plotColor(1), plotColor(1)
		p.Add(l, s)
		p.Legend.Add("validation", l, s)
	}
	p.Add(plotter.NewGrid())
	return savePNG(p, path, 16*vg.Centimeter, 10*vg.Centimeter)
}

func savePNG(p *plot.Plot, path string, w, h vg.Length) error {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := writeSynced(path, buf.Bytes()); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}
