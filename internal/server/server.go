// Package server is the HTTP handler of cmd/serve: the demo page and the
// model bundles as files, and an OpenAI-style API (/v1/models,
// /v1/completions, /v1/chat/completions, streaming as server-sent events)
// on runtime/engine. The same handler runs natively under net/http and, built
// for js/wasm, as a Cloudflare Worker.
package server

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// DefaultMaxBodyBytes is the largest request body accepted (413 above).
const DefaultMaxBodyBytes = 1 << 20

// Config configures a Server.
type Config struct {
	// Models are the served models; a request without "model" gets the
	// first. Names must differ.
	Models []*Model
	// Assets holds the page (index.html and what it loads), served under /.
	// Nil serves a short page saying the demo is not in this build.
	Assets fs.FS
	// MaxConcurrent is how many generations may run at once; more get 429.
	MaxConcurrent int
	// MaxTokens is the largest max_tokens a request may ask for.
	MaxTokens int
	// MaxBodyBytes caps request bodies (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// RetryAfter is the Retry-After of a 429, in seconds (0: 1).
	RetryAfter int
	// Logger gets one line per request (nil: slog.Default()).
	Logger *slog.Logger
	// Now returns the time (nil: time.Now); for the "created" fields.
	Now func() time.Time
}

// Server is the handler. It is safe for concurrent use.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	models   map[string]*Model
	assets   map[string]asset
	sem      chan struct{}
	draining atomic.Bool
	inflight atomic.Int64
	requests atomic.Int64 // served so far
	instance string       // random, names this Server in /healthz
}

// New checks cfg and builds the handler.
func New(cfg Config) (*Server, error) {
	if len(cfg.Models) == 0 {
		return nil, errors.New("server: no models")
	}
	if cfg.MaxConcurrent < 1 {
		return nil, fmt.Errorf("server: max concurrent %d: want at least 1", cfg.MaxConcurrent)
	}
	if cfg.MaxTokens < 1 {
		return nil, fmt.Errorf("server: max tokens %d: want at least 1", cfg.MaxTokens)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, models: map[string]*Model{}, sem: make(chan struct{}, cfg.MaxConcurrent), instance: newID(false)[len("cmpl-"):]}
	for _, m := range cfg.Models {
		if _, dup := s.models[m.name]; dup {
			return nil, fmt.Errorf("server: two models named %q", m.name)
		}
		m.keep = cfg.MaxConcurrent
		s.models[m.name] = m
	}
	assets, err := loadAssets(cfg.Assets)
	if err != nil {
		return nil, fmt.Errorf("server: page assets: %w", err)
	}
	s.assets = assets

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("POST /v1/completions", s.handleCompletion(false))
	mux.HandleFunc("POST /v1/chat/completions", s.handleCompletion(true))
	mux.HandleFunc("GET /models/{name}/{file}", s.handleBundleFile)
	mux.HandleFunc("GET /", s.handleAsset)
	s.mux = mux
	return s, nil
}

// ServeHTTP serves one request and logs it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.logged(s.mux).ServeHTTP(w, r)
}

// Drain makes the server refuse new generations (503) and report itself
// unhealthy, while the ones in flight go on; for a graceful shutdown.
func (s *Server) Drain() { s.draining.Store(true) }

// InFlight is the number of generations running now.
func (s *Server) InFlight() int { return int(s.inflight.Load()) }

// Close closes every model's engine.
func (s *Server) Close() error {
	var errs []error
	for _, m := range s.cfg.Models {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeError(w, newError(http.StatusServiceUnavailable, "server_error", "shutting_down", "the server is shutting down"), 0)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	// instance and requests show whether one process (or Worker isolate)
	// serves many requests.
	writeJSON(w, map[string]any{"status": "ok", "models": len(s.cfg.Models), "in_flight": s.InFlight(),
		"instance": s.instance, "requests": s.requests.Load()})
}

// modelObject is one entry of /v1/models.
type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
	Backend string `json:"backend"`
	Family  string `json:"family"`
	Vocab   int    `json:"vocab_size"`
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	list := make([]modelObject, 0, len(s.cfg.Models))
	for _, m := range s.cfg.Models {
		cfg := m.eng.Config()
		list = append(list, modelObject{
			ID: m.name, Object: "model", OwnedBy: "xlstm-go",
			Backend: m.eng.Backend(), Family: cfg.Family.String(), Vocab: cfg.VocabSize,
		})
	}
	writeJSON(w, map[string]any{"object": "list", "data": list})
}

// handleNotFound answers unknown /v1/ paths, and GET of the POST routes
// (which the page route would otherwise catch).
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p == "/v1/completions" || p == "/v1/chat/completions" {
		w.Header().Set("Allow", "POST")
		writeError(w, newError(http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", fmt.Sprintf("%s %s: use POST", r.Method, p)), 0)
		return
	}
	writeError(w, newError(http.StatusNotFound, "invalid_request_error", "not_found", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)), 0)
}
