package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/checkpoint"
	"github.com/xlstm-go/xlstm/weights/quant"
)

// chunkElems is the target number of elements read and converted at once
// (4 MiB of float32); tensors are cut into whole rows.
const chunkElems = 1 << 20

// convert writes the bundle o.out from the checkpoint o.in and returns its
// manifest. Progress goes to stderr.
func convert(ctx context.Context, o *options, stderr io.Writer) (*bundle.Manifest, error) {
	began := time.Now()
	ck, err := checkpoint.Open(o.in) // errors name the file
	if err != nil {
		return nil, err
	}
	defer ck.Close()
	cfg, bm, err := loadConfig(o.config, ck)
	if err != nil {
		return nil, err
	}
	items, err := makePlan(cfg, ck.Source, o.dtype, o.group)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.in, err)
	}
	tok, tokData, err := pickTokenizer(o.tokenizer, ck)
	if err != nil {
		return nil, err
	}
	w, err := bundle.Create(o.out, bm, bundle.Options{ShardSize: o.shardSize, Force: o.force, NoCompress: o.noCompress, DType: o.dtype})
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			w.Abort()
		}
	}()
	if tokData != nil {
		err = w.AddTokenizerFile(tokData)
	} else {
		err = w.SetTokenizer(tok)
	}
	if err != nil {
		return nil, err
	}
	var total int64
	for i := range items {
		total += srcBytes(ck.Source, &items[i])
	}
	prog := newProgress(stderr, o.progress, total, len(items))
	c := &converter{src: ck.Source, w: w, prog: prog, workers: runtime.GOMAXPROCS(0)}
	for i := range items {
		if err := ctx.Err(); err != nil {
			prog.finish()
			return nil, fmt.Errorf("interrupted: %w", err)
		}
		prog.item(i, &items[i])
		if err := c.write(ctx, &items[i]); err != nil {
			prog.finish()
			if ctx.Err() != nil {
				return nil, fmt.Errorf("interrupted: %w", ctx.Err())
			}
			return nil, fmt.Errorf("convert %s: %w", items[i].name, err)
		}
	}
	prog.finish()
	if err := w.Close(); err != nil {
		return nil, err
	}
	committed = true
	man := w.Manifest()
	secs := time.Since(began).Seconds()
	fmt.Fprintf(stderr, "convert: wrote %s: %d tensors, %d parameters, %d shards, %.1f MB (%s) from %.1f MB in %.2fs (%.0f MB/s)\n",
		o.out, len(man.Tensors), man.Params(), len(man.Shards), float64(man.StoredBytes())/1e6, o.dtype,
		float64(total)/1e6, secs, float64(total)/1e6/secs)
	return man, nil
}

// srcBytes is the size of an item's source data (for progress).
func srcBytes(src checkpoint.Source, it *item) int64 {
	var n int64
	for _, p := range it.parts {
		info, _ := src.Info(p.src)
		es := int64(quant.ElemSize(string(info.DType)))
		if es == 0 { // quantised bundle input: count its payload share
			es = 1
		}
		n += int64(p.rows) * int64(p.rlen) * es
	}
	return n
}

// loadConfig finds the model config: -config, the bundle's manifest, or
// config.yaml / config.json beside the checkpoint. It returns the parsed
// config and the manifest's copy of the original text.
func loadConfig(path string, ck *checkpoint.Checkpoint) (*model.Config, bundle.Model, error) {
	var bm bundle.Model
	var data []byte
	var err error
	switch {
	case path != "":
		if data, err = os.ReadFile(path); err != nil {
			return nil, bm, fmt.Errorf("config: %w", err)
		}
		bm.ConfigFormat = "yaml"
		if strings.EqualFold(filepath.Ext(path), ".json") {
			bm.ConfigFormat = "json"
		}
	case ck.Bundle != nil:
		bm = ck.Bundle.Manifest().Model
		cfg, err := model.BundleConfig(ck.Bundle.Manifest())
		if err != nil {
			return nil, bm, fmt.Errorf("%s: %w", ck.Path, err)
		}
		return cfg, bm, nil
	default:
		path = filepath.Join(ck.Dir, "config.yaml")
		bm.ConfigFormat = "yaml"
		data, err = os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			path = filepath.Join(ck.Dir, "config.json")
			bm.ConfigFormat = "json"
			data, err = os.ReadFile(path)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, bm, fmt.Errorf("no config: neither config.yaml nor config.json in %s; give -config FILE", ck.Dir)
		}
		if err != nil {
			return nil, bm, fmt.Errorf("config: %w", err)
		}
	}
	var cfg *model.Config
	if bm.ConfigFormat == "json" {
		cfg, err = model.ParseConfigJSON(data)
	} else {
		cfg, err = model.ParseConfigYAML(data)
	}
	if err != nil {
		return nil, bm, fmt.Errorf("%s: %w", path, err)
	}
	bm.Family = cfg.Family.String()
	bm.Config = string(data)
	return cfg, bm, nil
}

// pickTokenizer decides the bundle's tokenizer: "byte", a file, the input
// bundle's, or tokenizer.json beside the checkpoint. It returns either a
// record (possibly nil) or the file's bytes.
func pickTokenizer(flagValue string, ck *checkpoint.Checkpoint) (*bundle.Tokenizer, []byte, error) {
	switch {
	case flagValue == "byte":
		return &bundle.Tokenizer{Type: "byte"}, nil, nil
	case flagValue != "":
		data, err := os.ReadFile(flagValue)
		if err != nil {
			return nil, nil, fmt.Errorf("tokenizer: %w", err)
		}
		if !json.Valid(data) {
			return nil, nil, fmt.Errorf("tokenizer %s: not a JSON file", flagValue)
		}
		return nil, data, nil
	case ck.Bundle != nil:
		tk := ck.Bundle.Manifest().Tokenizer
		if tk == nil || tk.Type == "byte" {
			return tk, nil, nil
		}
		data, err := ck.Bundle.TokenizerFile()
		return nil, data, err
	}
	data, err := os.ReadFile(filepath.Join(ck.Dir, "tokenizer.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("tokenizer: %w", err)
	case !json.Valid(data):
		return nil, nil, fmt.Errorf("tokenizer %s: not a JSON file", filepath.Join(ck.Dir, "tokenizer.json"))
	}
	return nil, data, nil
}

// converter writes items into a bundle.
type converter struct {
	src     checkpoint.Source
	w       *bundle.Writer
	prog    progress
	workers int // chunks converted in parallel
	floats  sync.Pool
	bytes   sync.Pool
}

// chunk is rows [r, r+rows) of one part of an item, whose elements start
// at element off of the item.
type chunk struct {
	p       part
	r, rows int
	off     int
}

// task is one chunk in flight; done is closed when out (or err) is set.
type task struct {
	c    chunk
	out  *[]byte
	err  error
	done chan struct{}
}

// write converts one item: its parts in row chunks, several at once and
// written in order (or the whole tensor, when it must be permuted),
// encoded in the item's dtype.
func (c *converter) write(ctx context.Context, it *item) error {
	tw, err := c.w.Begin(it.name, it.dtype, it.shape, it.group)
	if err != nil {
		return err
	}
	enc, err := newEncoder(it)
	if err != nil {
		return err
	}
	if it.permute != nil {
		all := make([]float32, it.elements())
		off := 0
		for _, p := range it.parts {
			n := p.rows * p.rlen
			if err := c.src.ReadFloat32At(p.src, p.row0*p.rlen, all[off:off+n]); err != nil {
				return err
			}
			off += n
		}
		out, err := enc.encode(it.permute(all), 0, nil)
		if err != nil {
			return err
		}
		if _, err := tw.Write(out); err != nil {
			return err
		}
		c.prog.add(srcBytes(c.src, it))
	} else if err := c.writeChunks(ctx, it, enc, tw); err != nil {
		return err
	}
	if enc.scales != nil {
		if _, err := tw.Write(enc.scales); err != nil {
			return err
		}
	}
	return tw.Close()
}

// writeChunks converts an item's chunks with c.workers goroutines and
// writes the results in order.
func (c *converter) writeChunks(ctx context.Context, it *item, enc *encoder, tw *bundle.TensorWriter) error {
	var chunks []chunk
	off := 0
	for _, p := range it.parts {
		step := max(1, chunkElems/max(p.rlen, 1))
		for r := 0; r < p.rows; r += step {
			rows := min(step, p.rows-r)
			chunks = append(chunks, chunk{p: p, r: r, rows: rows, off: off})
			off += rows * p.rlen
		}
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pending := make(chan *task, max(c.workers, 1))
	go func() {
		defer close(pending)
		for _, ch := range chunks {
			t := &task{c: ch, done: make(chan struct{})}
			select {
			case pending <- t:
			case <-ctx.Done():
				return
			}
			go func() {
				defer close(t.done)
				t.out, t.err = c.convertChunk(ctx, t.c, enc)
			}()
		}
	}()
	var first error
	for t := range pending {
		<-t.done
		if first == nil {
			first = t.err
			if first == nil {
				_, first = tw.Write(*t.out)
			}
			if first != nil {
				cancel()
			}
		}
		if t.out != nil {
			c.bytes.Put(t.out)
		}
	}
	if first == nil {
		first = parent.Err() // the producer stopped early
	}
	return first
}

// convertChunk reads one chunk and encodes it; the result's buffer comes
// from (and goes back to) c.bytes.
func (c *converter) convertChunk(ctx context.Context, ch chunk, enc *encoder) (*[]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := ch.rows * ch.p.rlen
	fp, _ := c.floats.Get().(*[]float32)
	if fp == nil || cap(*fp) < n {
		b := make([]float32, n)
		fp = &b
	}
	defer c.floats.Put(fp)
	x := (*fp)[:n]
	if err := c.src.ReadFloat32At(ch.p.src, (ch.p.row0+ch.r)*ch.p.rlen, x); err != nil {
		return nil, err
	}
	bp, _ := c.bytes.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	out, err := enc.encode(x, ch.off, *bp)
	if err != nil {
		c.bytes.Put(bp)
		return nil, err
	}
	*bp = out
	info, _ := c.src.Info(ch.p.src)
	c.prog.add(int64(n) * int64(max(quant.ElemSize(string(info.DType)), 1)))
	return bp, nil
}

// encoder turns float32 chunks into an item's payload. Its encode method
// may run for several chunks at once: quantised chunks fill disjoint parts
// of scales, which is written after all codes.
type encoder struct {
	dtype  string
	kind   quant.Kind // 0 for float dtypes
	group  int
	scales []byte // all scales of a quantised tensor
}

func newEncoder(it *item) (*encoder, error) {
	e := &encoder{dtype: it.dtype, group: it.group}
	if k, ok := quant.ParseKind(it.dtype); ok {
		e.kind = k
		if err := k.CheckGroup(it.elements(), it.group); err != nil {
			return nil, err
		}
		e.scales = make([]byte, 2*(it.elements()/it.group))
	}
	return e, nil
}

// encode converts x, the elements starting at element off of the item,
// into buf (grown as needed) and returns the bytes.
func (e *encoder) encode(x []float32, off int, buf []byte) ([]byte, error) {
	var n int
	if e.kind == 0 {
		n = len(x) * quant.ElemSize(e.dtype)
	} else {
		n = e.kind.CodeBytes(len(x))
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	out := buf[:n]
	if e.kind == 0 {
		return out, quant.EncodeFloat32(e.dtype, x, out)
	}
	s := 2 * (off / e.group)
	return out, quant.Quantize(e.kind, x, e.group, out, e.scales[s:s+2*(len(x)/e.group)])
}
