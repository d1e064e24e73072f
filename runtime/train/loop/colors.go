package loop

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

func plotColor(i int) color.Color { return plotutil.Color(i) }

// PlotLines draws one line per series (x, y pairs) with a legend on a y
// axis from 0 to 1 and writes a PNG to path: the experiments' accuracy
// plots.
func PlotLines(path, title, xlabel, ylabel string, names []string, series []plotter.XYs) error {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xlabel, ylabel
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top = true
	for i, s := range series {
		l, pts, err := plotter.NewLinePoints(s)
		if err != nil {
			return err
		}
		l.Color, pts.Color = plotColor(i), plotColor(i)
		pts.Shape = plotutil.Shape(i)
		p.Add(l, pts)
		p.Legend.Add(names[i], l, pts)
	}
	p.Add(plotter.NewGrid())
	return savePNG(p, path, 16*vg.Centimeter, 10*vg.Centimeter)
}
