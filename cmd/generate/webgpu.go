package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/tokenizer"
	"github.com/xlstm-go/xlstm/runtime/webgpu"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// runWebGPU is run on the WebGPU backend, through runtime/engine. Without
// an adapter it fails: it never falls back to the CPU.
func runWebGPU(ctx context.Context, o *options, tok *tokenizer.Tokenizer, stdout io.Writer) error {
	dev, err := webgpu.Open(ctx)
	if err != nil {
		return fmt.Errorf("-backend webgpu: %w", err)
	}
	defer dev.Close()
	e, err := openEngine(dev, o.modelDir)
	if err != nil {
		return fmt.Errorf("-backend webgpu: %w", err)
	}
	defer e.Close()
	cfg := e.Config()
	if tok != nil {
		if o.tokens, err = promptTokens(tok, cfg, o.prompt); err != nil {
			return err
		}
	}
	for i, t := range o.tokens {
		if t < 0 || t >= cfg.VocabSize {
			return fmt.Errorf("-tokens: token %d (id %d) is outside the vocabulary [0,%d)", i, t, cfg.VocabSize)
		}
	}
	s, err := e.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	sess := s.(*webgpu.Session)
	if o.dumpLogits != "" {
		return dumpLogitsGPU(ctx, sess, cfg, o)
	}
	return generateOn(ctx, sess, cfg, o, tok, stdout)
}

// openEngine loads a bundle (keeping its q8/q4 matrices quantised on the
// device) or a checkpoint directory onto dev.
func openEngine(dev *webgpu.Device, dir string) (*webgpu.Engine, error) {
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		fsys := os.DirFS(dir)
		b, err := engine.LoadBundle(fsys)
		if err != nil {
			return nil, err
		}
		defer b.Model.Close()
		return webgpu.NewEngine(dev, b, webgpu.Options{Weights: fsys})
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	m, err := model.Load[float32](dir)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return webgpu.NewEngineModel(dev, m, webgpu.Options{})
}

// dumpLogitsGPU writes the logits of o.tokens computed on the device.
func dumpLogitsGPU(ctx context.Context, s *webgpu.Session, cfg *model.Config, o *options) error {
	var logits []float32
	var err error
	if o.mode == "full" {
		logits, err = s.PrefillLogits(ctx, o.tokens)
	} else {
		for _, t := range o.tokens {
			if err = s.Step(t); err != nil {
				break
			}
			var l []float32
			if l, err = s.Logits(); err != nil {
				break
			}
			logits = append(logits, l...)
		}
	}
	if err != nil {
		return err
	}
	t := safetensors.F32Tensor("logits", []int{len(o.tokens), cfg.VocabSize}, logits)
	if err := safetensors.WriteFile(o.dumpLogits, []safetensors.Tensor{t}, map[string]string{"mode": o.mode, "backend": "webgpu"}); err != nil {
		return fmt.Errorf("dump logits: %w", err)
	}
	return nil
}
