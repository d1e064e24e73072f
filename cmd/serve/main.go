//go:build !js

// Command serve serves the demo page and an OpenAI-style API on xLSTM
// models:
//
//	serve [-addr 127.0.0.1:8080] [-model DIR]... [-backend cpu|webgpu]
//	      [-max-concurrent N] [-max-tokens N] [-threads N] [-drain 30s]
//
// Without -model it serves the embedded default model as "default"; each
// -model DIR (a bundle directory) is served under DIR's base name. Routes:
// GET / (the page), GET /models/<name>/<file> (bundle files), GET /healthz,
// GET /v1/models, POST /v1/completions, POST /v1/chat/completions. SIGTERM or
// Ctrl-C drains the streams in flight, then exits. Built with GOOS=js it is
// the Cloudflare Worker instead (worker.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/xlstm-go/xlstm/internal/server"
	"github.com/xlstm-go/xlstm/web"
	defaultmodel "github.com/xlstm-go/xlstm/weights/default"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "serve:", err)
		}
		os.Exit(1)
	}
}

// modelDirs collects repeated -model flags.
type modelDirs []string

func (m *modelDirs) String() string     { return fmt.Sprint(*m) }
func (m *modelDirs) Set(v string) error { *m = append(*m, v); return nil }

// options are the parsed flags.
type options struct {
	addr          string
	models        modelDirs
	backend       string
	maxConcurrent int
	maxTokens     int
	threads       int
	drain         time.Duration
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.Var(&o.models, "model", "bundle directory to serve, named by its base name (repeatable; default: the embedded model, as \"default\")")
	fs.StringVar(&o.backend, "backend", "cpu", "cpu or webgpu")
	fs.IntVar(&o.maxConcurrent, "max-concurrent", 16, "generations at once; more get 429")
	fs.IntVar(&o.maxTokens, "max-tokens", 2048, "largest max_tokens a request may ask for")
	fs.IntVar(&o.threads, "threads", 1, "goroutines sharing one generation's matrix products (1 suits many concurrent requests)")
	fs.DurationVar(&o.drain, "drain", 30*time.Second, "on SIGTERM, how long streams in flight may run before they are cut")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.backend != "cpu" && o.backend != "webgpu":
		return nil, fmt.Errorf("-backend %q: want cpu or webgpu", o.backend)
	case o.maxConcurrent < 1:
		return nil, fmt.Errorf("-max-concurrent %d: want at least 1", o.maxConcurrent)
	case o.maxTokens < 1:
		return nil, fmt.Errorf("-max-tokens %d: want at least 1", o.maxTokens)
	case o.threads < 1:
		return nil, fmt.Errorf("-threads %d: want at least 1", o.threads)
	case o.drain < 0:
		return nil, fmt.Errorf("-drain %v: must not be negative", o.drain)
	}
	return o, nil
}

// run serves until ctx is done. ready, when not nil, gets the address once
// the server listens (for tests).
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	open, release, err := openEngine(ctx, o)
	if err != nil {
		return err
	}
	defer release()
	var models []*server.Model
	defer func() {
		for _, m := range models {
			m.Close()
		}
	}()
	if len(o.models) == 0 {
		m, err := server.LoadModel("default", defaultmodel.FS(), open)
		if err != nil {
			return fmt.Errorf("embedded default model: %w", err)
		}
		models = append(models, m)
	}
	for _, dir := range o.models {
		name := filepath.Base(filepath.Clean(dir))
		m, err := server.LoadModel(name, os.DirFS(dir), open)
		if err != nil {
			return fmt.Errorf("-model %s: %w", dir, err)
		}
		models = append(models, m)
	}
	srv, err := server.New(server.Config{
		Models: models, Assets: web.FS(), MaxConcurrent: o.maxConcurrent, MaxTokens: o.maxTokens, Logger: logger,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name()
	}
	logger.Info("listening", "url", "http://"+ln.Addr().String()+"/", "models", names, "backend", o.backend,
		"max_concurrent", o.maxConcurrent, "max_tokens", o.maxTokens, "threads", o.threads)
	if ready != nil {
		ready(ln.Addr().String())
	}
	err = server.Run(ctx, ln, srv, o.drain)
	logger.Info("stopped", "error", err)
	return err
}
