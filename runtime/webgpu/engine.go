package webgpu

import (
	"fmt"
	"io/fs"
	"sync"

	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

// Options tune an Engine.
type Options struct {
	// Weights is the bundle's file tree (what was given to
	// engine.LoadBundle). When set, the linear projections, the LM head and
	// the embedding that the bundle stores as Q8/Q4 stay quantised on the
	// device and are dequantised in the shaders; otherwise every matrix is
	// uploaded as float32 from the loaded model.
	Weights fs.FS
	// PrefillChunk is how many tokens one prefill submission handles
	// (default 64); it sizes the activation buffers.
	PrefillChunk int
	// MaxBinding, when positive, lowers the largest storage binding used
	// below the device's limit (tests use it to exercise split matrices).
	MaxBinding uint64
	// Linear picks the kernels of the linear products: "" chooses by
	// adapter, "gpu" the cooperative ones (matvec for decode, tiled matmul for
	// prefill), "cpu" the barrier-free one that software adapters (lavapipe,
	// SwiftShader) run fastest.
	Linear string
}

// Engine is one model on a WebGPU device; it implements engine.Engine.
// Sessions share its activation buffers, so their calls are serialised.
type Engine struct {
	dev   *Device
	cfg   *model.Config
	ref   *model.Model[float32] // for NewState (fingerprint, state layout)
	chunk int
	rows  bool // linear products with the barrier-free kernel

	mu     sync.Mutex // serialises use of the activation buffers
	w      *gpuWeights
	act    *activations
	closed bool
}

var _ engine.Engine = (*Engine)(nil)

// NewEngine uploads the model of a loaded bundle to dev. The engine does not
// take ownership of b.Model (the caller may keep using or close it) nor of
// dev.
func NewEngine(dev *Device, b *engine.Bundle, opts Options) (*Engine, error) {
	if dev == nil || dev.dev == nil {
		return nil, fmt.Errorf("webgpu: new engine: no device")
	}
	if b == nil || b.Model == nil || b.Config == nil {
		return nil, fmt.Errorf("webgpu: new engine: bundle without a model")
	}
	var raw rawSource
	if opts.Weights != nil {
		r, err := bundle.OpenFS(opts.Weights)
		if err != nil {
			return nil, fmt.Errorf("webgpu: new engine: %w", err)
		}
		defer r.Close()
		raw = r
	}
	return newEngine(dev, b.Model, raw, opts)
}

// NewEngineModel uploads a float32 model (all weights as float32).
func NewEngineModel(dev *Device, m *model.Model[float32], opts Options) (*Engine, error) {
	if dev == nil || dev.dev == nil {
		return nil, fmt.Errorf("webgpu: new engine: no device")
	}
	if m == nil {
		return nil, fmt.Errorf("webgpu: new engine: nil model")
	}
	return newEngine(dev, m, nil, opts)
}

func newEngine(dev *Device, m *model.Model[float32], raw rawSource, opts Options) (*Engine, error) {
	cfg := m.Config()
	if err := checkConfig(cfg); err != nil {
		return nil, fmt.Errorf("webgpu: new engine: %w", err)
	}
	chunk := opts.PrefillChunk
	if chunk <= 0 {
		chunk = 64
	}
	limit := dev.MaxBinding()
	if opts.MaxBinding > 0 && opts.MaxBinding < limit {
		limit = opts.MaxBinding
	}
	e := &Engine{dev: dev, cfg: cfg, ref: m, chunk: chunk, rows: dev.cpu}
	switch opts.Linear {
	case "":
	case "gpu":
		e.rows = false
	case "cpu":
		e.rows = true
	default:
		return nil, fmt.Errorf("webgpu: new engine: Options.Linear %q: want \"\", \"gpu\" or \"cpu\"", opts.Linear)
	}
	var err error
	if e.w, err = uploadWeights(dev, m, raw, limit); err != nil {
		return nil, fmt.Errorf("webgpu: new engine: %w", err)
	}
	if e.act, err = newActivations(dev, cfg, chunk, dev.MaxBinding()); err != nil {
		e.w.release()
		return nil, fmt.Errorf("webgpu: new engine: %w", err)
	}
	return e, nil
}

// checkConfig refuses what the shaders cannot run.
func checkConfig(cfg *model.Config) error {
	if cfg.Family == model.FamilyLM {
		for i, s := range cfg.LM.BlockIsSLSTM {
			if s && cfg.LM.SLSTM.HeadDim > 512 {
				return fmt.Errorf("block %d: sLSTM head dim %d exceeds the shader's 512", i, cfg.LM.SLSTM.HeadDim)
			}
		}
		if f := cfg.LM.FFN; f != nil && actCode(f.ActFn) < 0 {
			return fmt.Errorf("FFN activation %q is not supported", f.ActFn)
		}
	}
	return nil
}

// actCode maps an FFN activation to the ew shader's code.
func actCode(name string) int {
	switch name {
	case "gelu":
		return 0
	case "relu":
		return 1
	case "relu^2":
		return 2
	case "sigmoid":
		return 3
	case "swish":
		return 4
	case "selu":
		return 5
	}
	return -1
}

// Backend returns "webgpu".
func (e *Engine) Backend() string { return "webgpu" }

// Config returns the model's configuration.
func (e *Engine) Config() *model.Config { return e.cfg }

// Device returns the engine's device.
func (e *Engine) Device() *Device { return e.dev }

// NewSession returns a session at the start of a sequence.
func (e *Engine) NewSession() (engine.Session, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, fmt.Errorf("webgpu: engine is closed")
	}
	return e.newSession()
}

// Close releases the engine's device buffers (not the device).
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	e.w.release()
	e.act.release()
	return nil
}

// quantisedMatrices counts the matrices kept q8/q4 on the device.
func (e *Engine) quantisedMatrices() int {
	n := 0
	for _, m := range e.w.mats {
		if m.format != "f32" {
			n++
		}
	}
	return n
}
