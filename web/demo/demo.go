// Package demo is the engine side of the in-browser demo page, kept free of
// syscall/js so that it is tested natively: it loads a bundle from fetched
// files onto a backend (WebGPU or the CPU path, with the reason for the
// choice), runs generations through engine.Generate with a sampler whose
// random stream carries over from one generation to the next, and saves
// and restores a conversation (recurrent state, sampler position, pending
// token) so that a restored page continues exactly as if never interrupted.
// web/wasm wires it to the Web Worker's messages.
package demo

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/tokenizer"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

// Backend names, as the page's ?backend= parameter spells them.
const (
	BackendAuto   = "auto"
	BackendCPU    = "cpu"
	BackendWebGPU = "webgpu"
)

// OpenGPU builds the WebGPU engine for a loaded bundle whose files are in
// fsys (so that quantised weights can stay quantised on the device); nil
// when this build has no WebGPU backend.
type OpenGPU func(b *engine.Bundle, fsys fs.FS) (engine.Engine, error)

// LoadOptions say which backend to use.
type LoadOptions struct {
	// Backend is BackendAuto (WebGPU when it works, else the CPU path),
	// BackendCPU or BackendWebGPU; forcing one that cannot run is an error.
	Backend string
	// NoGPU is the browser's reason why there is no WebGPU device (e.g.
	// "WebGPU not available in this browser"), or "" when the page got one.
	NoGPU string
	// GPU describes the device the page got (adapter name), for the page.
	GPU string
	// OpenGPU makes the WebGPU engine; nil when the build has none.
	OpenGPU OpenGPU
	// Verify checks every file's hash before anything else, for one clear
	// error naming a corrupted file: for pages that could not check them
	// (no WebCrypto outside secure contexts). Loading checks them anyway.
	Verify bool
}

// Info describes the loaded model and the backend it runs on.
type Info struct {
	Backend     string `json:"backend"`     // "cpu" or "webgpu"
	Reason      string `json:"reason"`      // why this backend
	Family      string `json:"family"`      // manifest model family
	DType       string `json:"dtype"`       // bundle weight format
	Params      int64  `json:"params"`      // parameter count
	StoredBytes int64  `json:"storedBytes"` // bytes of the shards as fetched
	StateBytes  int    `json:"stateBytes"`  // size of the saved recurrent state
	VocabSize   int    `json:"vocabSize"`
	Blocks      int    `json:"blocks"`
	Tokenizer   string `json:"tokenizer"` // "byte" or "hf"
}

// Demo is one loaded model and its current conversation. It is not safe for
// concurrent use: the worker runs one request at a time.
type Demo struct {
	b    *engine.Bundle
	eng  engine.Engine
	info Info
	conv *conversation // nil before the first generation or restore
}

// Files lists the files of a bundle besides manifest.json that the page must
// fetch, each with its sha256 and stored size: the shards, then the
// tokenizer file when the bundle carries one.
func Files(manifest []byte) ([]File, error) {
	man, err := bundle.ParseManifest(manifest)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	var out []File
	for _, s := range man.Shards {
		out = append(out, File{Name: s.File, SHA256: s.SHA256, Size: s.Size})
	}
	if t := man.Tokenizer; t != nil && t.File != "" {
		out = append(out, File{Name: t.File, SHA256: t.SHA256, Size: t.Size})
	}
	return out, nil
}

// File is one bundle file to fetch: its name, the sha256 of its bytes and
// their size.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Load reads the bundle in fsys (manifest.json and the files Files lists;
// every hash is checked again here) and puts it on a backend.
func Load(fsys fs.FS, opts LoadOptions) (*Demo, error) {
	if opts.Verify {
		if err := verify(fsys); err != nil {
			return nil, err
		}
	}
	b, err := engine.LoadBundle(fsys)
	if err != nil {
		return nil, err
	}
	eng, backend, reason, err := pickBackend(b, fsys, opts)
	if err != nil {
		b.Model.Close()
		return nil, err
	}
	d := &Demo{b: b, eng: eng}
	if d.info, err = describe(b, eng, backend, reason); err != nil {
		eng.Close()
		return nil, err
	}
	return d, nil
}

func verify(fsys fs.FS) error {
	r, err := bundle.OpenFS(fsys)
	if err != nil {
		return fmt.Errorf("load bundle: %w", err)
	}
	defer r.Close()
	if err := r.Verify(); err != nil {
		return fmt.Errorf("load bundle: %w", err)
	}
	return nil
}

// pickBackend chooses and opens the engine, saying why.
func pickBackend(b *engine.Bundle, fsys fs.FS, o LoadOptions) (eng engine.Engine, backend, reason string, err error) {
	gpuMissing := o.NoGPU
	if o.OpenGPU == nil {
		gpuMissing = "the WebGPU backend is not available in this build"
	}
	switch o.Backend {
	case BackendCPU:
		return engine.NewCPU(b.Model), BackendCPU, "forced by ?backend=cpu", nil
	case BackendWebGPU:
		if gpuMissing != "" {
			return nil, "", "", fmt.Errorf("backend webgpu was asked for (?backend=webgpu) but cannot run: %s", gpuMissing)
		}
		e, err := o.OpenGPU(b, fsys)
		if err != nil {
			return nil, "", "", fmt.Errorf("backend webgpu was asked for (?backend=webgpu) but failed: %w", err)
		}
		return e, BackendWebGPU, join("forced by ?backend=webgpu", o.GPU), nil
	case BackendAuto, "":
		if gpuMissing != "" {
			return engine.NewCPU(b.Model), BackendCPU, gpuMissing, nil
		}
		e, err := o.OpenGPU(b, fsys)
		if err != nil {
			return engine.NewCPU(b.Model), BackendCPU, "WebGPU failed: " + err.Error(), nil
		}
		return e, BackendWebGPU, join("", o.GPU), nil
	}
	return nil, "", "", fmt.Errorf("backend %q: want auto, cpu or webgpu", o.Backend)
}

// join adds the adapter's name to a reason.
func join(reason, adapter string) string {
	switch {
	case adapter == "" && reason == "":
		return "a WebGPU adapter is available"
	case adapter == "":
		return reason
	case reason == "":
		return "adapter " + adapter
	}
	return reason + ", adapter " + adapter
}

func describe(b *engine.Bundle, eng engine.Engine, backend, reason string) (Info, error) {
	man := b.Manifest
	info := Info{
		Backend:   backend,
		Reason:    reason,
		DType:     strings.ToUpper(man.DType),
		VocabSize: b.Config.VocabSize,
		Blocks:    b.Config.NumBlocks,
		Tokenizer: "none",
	}
	if man.Model.Family != "" {
		info.Family = man.Model.Family
	}
	if man.Tokenizer != nil {
		info.Tokenizer = man.Tokenizer.Type
	}
	for _, s := range man.Shards {
		info.StoredBytes += s.Size
	}
	for i := range man.Tensors {
		info.Params += int64(man.Tensors[i].NumElements())
	}
	s, err := eng.NewSession()
	if err != nil {
		return info, fmt.Errorf("new session: %w", err)
	}
	defer s.Close()
	st, err := s.MarshalState()
	if err != nil {
		return info, fmt.Errorf("state size: %w", err)
	}
	info.StateBytes = len(st)
	return info, nil
}

// Info describes the loaded model and its backend.
func (d *Demo) Info() Info { return d.info }

// Config is the model's configuration.
func (d *Demo) Config() *model.Config { return d.b.Config }

// Tokenizer is the bundle's tokenizer, nil when it carries none.
func (d *Demo) Tokenizer() *tokenizer.Tokenizer { return d.b.Tokenizer }

// Close releases the engine.
func (d *Demo) Close() error {
	if d.conv != nil {
		d.conv.sess.Close()
		d.conv = nil
	}
	return d.eng.Close()
}

// errNoTokenizer is returned for text prompts on a bundle without tokenizer.
var errNoTokenizer = errors.New("this model bundle carries no tokenizer, so it cannot take a text prompt")
