package main

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress reports conversion progress: a bar on a terminal, one log line
// per tensor otherwise.
type progress interface {
	item(i int, it *item)
	add(bytes int64)
	finish()
}

// newProgress picks the bar when stderr is a terminal (or force says so).
func newProgress(stderr io.Writer, force *bool, total int64, items int) progress {
	tty := false
	if f, ok := stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	if force != nil {
		tty = *force
	}
	if !tty {
		return &logProgress{w: stderr, items: items}
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("converting"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000), // 100 ms
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)
	return &barProgress{bar: bar}
}

type barProgress struct{ bar *progressbar.ProgressBar }

func (b *barProgress) item(int, *item) {}
func (b *barProgress) add(n int64)     { b.bar.Add64(n) }
func (b *barProgress) finish()         { b.bar.Finish() }

type logProgress struct {
	w     io.Writer
	items int
}

func (l *logProgress) item(i int, it *item) {
	src := it.parts[0].src
	if len(it.parts) > 1 {
		src = fmt.Sprintf("%s (+%d more)", src, len(it.parts)-1)
	}
	fmt.Fprintf(l.w, "convert: [%d/%d] %s %v %s <- %s\n", i+1, l.items, it.name, it.shape, it.dtype, src)
}
func (l *logProgress) add(int64) {}
func (l *logProgress) finish()   {}
