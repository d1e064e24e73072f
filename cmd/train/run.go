package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/tokenizer"
	"github.com/xlstm-go/xlstm/runtime/train"
	"github.com/xlstm-go/xlstm/runtime/train/loop"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, bm, err := readConfig(o.config)
	if err != nil {
		return err
	}
	tok, tokFile, err := readTokenizer(o.tokenizer)
	if err != nil {
		return err
	}
	if tok.VocabSize() > cfg.VocabSize {
		return fmt.Errorf("tokenizer has %d tokens, more than the model's vocab_size %d", tok.VocabSize(), cfg.VocabSize)
	}
	trainTok, valTok, dataHash, err := readData(o, tok, cfg.VocabSize)
	if err != nil {
		return err
	}
	batcher, err := loop.NewBatcher(trainTok, o.loop.Batch, o.loop.Seq, o.seed)
	if err != nil {
		return fmt.Errorf("-data %s: %w", o.data, err)
	}
	var eval [][][]int
	if len(valTok) >= o.loop.Seq {
		w, err := loop.Windows(valTok, o.loop.Seq, o.loop.EvalBatches*o.loop.Batch)
		if err != nil {
			return err
		}
		eval = loop.EvalBatches(w, o.loop.Batch)
	} else {
		fmt.Fprintf(stderr, "train: validation data (%d tokens) shorter than -seq %d: no evaluation\n", len(valTok), o.loop.Seq)
	}
	params, err := train.InitParams(cfg, o.seed)
	if err != nil {
		return err
	}
	tr, err := train.NewTrainer(cfg, o.threads)
	if err != nil {
		return err
	}
	defer tr.Close()
	r := &loop.Run{
		Out: o.out, Options: o.loop, Seed: o.seed, Threads: o.threads,
		Config: cfg, Model: bm, Tokenizer: tokFile, DataHash: dataHash,
		Specs: params.Specs, Params: params.Data,
		Objective: &loop.TrainerObjective{T: tr, Specs: params.Specs},
		Optimizer: loop.NewAdamW(params.Specs, o.loop.WeightDecay),
		Data:      batcher, Eval: eval, Resume: o.resume, Until: o.until,
		Warn: func(s string) { fmt.Fprintln(stderr, "train: warning:", s) },
	}
	fmt.Fprintf(stderr, "train: %s model, %d parameters; %d training and %d validation tokens; %d steps of %d×%d tokens\n",
		cfg.Family, countParams(params.Data), len(trainTok), len(valTok), o.loop.Steps, o.loop.Batch, o.loop.Seq)
	p := newProgress(stderr, o.loop.Steps)
	r.OnProgress = p.update
	res, err := r.Train(ctx)
	p.finish()
	if err != nil {
		return err
	}
	ev := "n/a"
	if !math.IsNaN(res.EvalLoss) {
		ev = fmt.Sprintf("%.4f (%.4f bits/token)", res.EvalLoss, res.EvalLoss/math.Ln2)
	}
	if res.Step < o.loop.Steps {
		fmt.Fprintf(stdout, "stopped after step %d of %d (-until); continue with -resume\n", res.Step, o.loop.Steps)
	}
	fmt.Fprintf(stdout, "step %d: loss %.4f, validation loss %s; checkpoint %s\n", res.Step, res.Loss, ev, filepath.Join(o.out, loop.LinkName))
	return nil
}

func countParams(d [][]float32) int {
	n := 0
	for _, t := range d {
		n += len(t)
	}
	return n
}

// readConfig parses a YAML or JSON model config and returns it with the
// text the checkpoints' bundles record.
func readConfig(path string) (*model.Config, bundle.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, bundle.Model{}, fmt.Errorf("-config: %w", err)
	}
	format := "yaml"
	if strings.HasSuffix(strings.ToLower(path), ".json") {
		format = "json"
	}
	var cfg *model.Config
	if format == "json" {
		cfg, err = model.ParseConfigJSON(data)
	} else {
		cfg, err = model.ParseConfigYAML(data)
	}
	if err != nil {
		return nil, bundle.Model{}, fmt.Errorf("-config %s: %w", path, err)
	}
	return cfg, bundle.Model{Family: cfg.Family.String(), ConfigFormat: format, Config: string(data)}, nil
}

// readTokenizer returns the tokenizer and, for a file, its bytes (stored in
// each checkpoint); "byte" is the plain byte tokenizer, stored as such.
func readTokenizer(spec string) (*tokenizer.Tokenizer, []byte, error) {
	if spec == "byte" {
		t, err := tokenizer.NewByte(tokenizer.ByteSpec{})
		return t, nil, err
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("-tokenizer: %w", err)
	}
	t, err := tokenizer.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("-tokenizer %s: %w", spec, err)
	}
	return t, data, nil
}

// readData encodes the training and validation text; without -val the last
// 5% of -data's tokens are held out. The hash covers both token streams.
func readData(o *options, tok *tokenizer.Tokenizer, vocab int) (trainTok, valTok []int32, hash string, err error) {
	enc := func(text string) []int { return tok.EncodeWith(text, false) }
	read := func(path string) ([]int32, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		t, err := loop.Tokens(data, enc, vocab)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return t, nil
	}
	if trainTok, err = read(o.data); err != nil {
		return nil, nil, "", fmt.Errorf("-data: %w", err)
	}
	if o.val != "" {
		if valTok, err = read(o.val); err != nil {
			return nil, nil, "", fmt.Errorf("-val: %w", err)
		}
	} else {
		cut := len(trainTok) - len(trainTok)/20
		trainTok, valTok = trainTok[:cut], trainTok[cut:]
	}
	if len(trainTok) == 0 {
		return nil, nil, "", errors.New("-data: no training tokens")
	}
	h := sha256.New()
	for _, s := range [][]int32{trainTok, valTok} {
		b := make([]byte, 4*len(s))
		for i, v := range s {
			b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
		h.Write(b)
		h.Write([]byte{0xff})
	}
	return trainTok, valTok, fmt.Sprintf("%x", h.Sum(nil)), nil
}
