package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sync"

	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/tokenizer"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

// Model is one served model: an engine for generation, its tokenizer, and
// the bundle's files for the page to fetch.
type Model struct {
	name   string
	eng    engine.Engine
	tok    *tokenizer.Tokenizer
	eos    int
	files  fs.FS
	served map[string]servedFile // the bundle's files by name; nothing else is served

	mu   sync.Mutex
	free []engine.Session // idle sessions, reused across requests
	keep int              // at most this many idle sessions are kept
}

// servedFile is one bundle file the /models route may return.
type servedFile struct {
	etag      string // quoted
	immutable bool   // content-addressed: its name is its hash
}

// OpenEngine turns a loaded bundle into an engine (the CPU engine, or a
// device backend's); files are the bundle's files, for a backend that
// uploads the stored (e.g. quantised) weights itself.
type OpenEngine func(b *engine.Bundle, files fs.FS) (engine.Engine, error)

// CPUEngine returns an OpenEngine for the CPU backend whose model shares its
// large products among threads goroutines (1: each request on its own
// goroutine, which suits many concurrent requests best).
func CPUEngine(threads int) OpenEngine {
	return func(b *engine.Bundle, _ fs.FS) (engine.Engine, error) {
		b.Model.SetThreads(threads)
		return engine.NewCPU(b.Model), nil
	}
}

// LoadModel loads the bundle at the root of fsys as the model called name
// and opens its engine with open.
func LoadModel(name string, fsys fs.FS, open OpenEngine) (*Model, error) {
	if !validName(name) {
		return nil, fmt.Errorf("model name %q: want letters, digits, '.', '_' or '-'", name)
	}
	b, err := engine.LoadBundle(fsys)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	if b.Tokenizer == nil {
		b.Model.Close()
		return nil, fmt.Errorf("model %s: the bundle names no tokenizer; the API needs one", name)
	}
	eng, err := open(b, fsys)
	if err != nil {
		b.Model.Close()
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	m, err := newModel(name, eng, b.Tokenizer, b.Manifest, fsys)
	if err != nil {
		eng.Close()
		return nil, err
	}
	return m, nil
}

// NewModel serves an engine that is already open, with its tokenizer and
// the bundle files in fsys (manifest.json and what it names).
func NewModel(name string, eng engine.Engine, tok *tokenizer.Tokenizer, fsys fs.FS) (*Model, error) {
	if !validName(name) {
		return nil, fmt.Errorf("model name %q: want letters, digits, '.', '_' or '-'", name)
	}
	r, err := bundle.OpenFS(fsys)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	man := r.Manifest()
	r.Close()
	return newModel(name, eng, tok, man, fsys)
}

func newModel(name string, eng engine.Engine, tok *tokenizer.Tokenizer, man *bundle.Manifest, fsys fs.FS) (*Model, error) {
	raw, err := fs.ReadFile(fsys, "manifest.json")
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	sum := sha256.Sum256(raw)
	served := map[string]servedFile{"manifest.json": {etag: `"` + hex.EncodeToString(sum[:]) + `"`}}
	for _, s := range man.Shards {
		served[s.File] = servedFile{etag: `"` + s.SHA256 + `"`, immutable: true}
	}
	if t := man.Tokenizer; t != nil && t.File != "" {
		served[t.File] = servedFile{etag: `"` + t.SHA256 + `"`, immutable: true}
	}
	cfg := eng.Config()
	eos := cfg.EOS
	if eos < 0 {
		eos = tok.EOS()
	}
	return &Model{name: name, eng: eng, tok: tok, eos: eos, files: fsys, served: served, keep: 4}, nil
}

// Name is the model's name in the API and under /models/.
func (m *Model) Name() string { return m.name }

// Config is the model's configuration.
func (m *Model) Config() *model.Config { return m.eng.Config() }

// Close closes the idle sessions and the engine.
func (m *Model) Close() error {
	m.mu.Lock()
	free := m.free
	m.free = nil
	m.mu.Unlock()
	for _, s := range free {
		s.Close()
	}
	return m.eng.Close()
}

// session returns an idle session at the start of a sequence, or a new one.
func (m *Model) session() (engine.Session, error) {
	m.mu.Lock()
	if n := len(m.free); n > 0 {
		s := m.free[n-1]
		m.free = m.free[:n-1]
		m.mu.Unlock()
		s.Reset()
		return s, nil
	}
	m.mu.Unlock()
	s, err := m.eng.NewSession()
	if err != nil {
		return nil, fmt.Errorf("model %s: new session: %w", m.name, err)
	}
	return s, nil
}

// release returns a session for reuse, or closes it when enough are idle.
func (m *Model) release(s engine.Session) {
	m.mu.Lock()
	if len(m.free) < m.keep {
		m.free = append(m.free, s)
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	s.Close()
}

func validName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > 128 {
		return false
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}
