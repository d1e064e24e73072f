//go:build js && wasm

package main

import (
	"fmt"
	"log/slog"
	"os"
	"syscall/js"
	"time"

	"github.com/syumai/workers/cloudflare"
	"github.com/xlstm-go/xlstm/internal/cfworker"
	"github.com/xlstm-go/xlstm/internal/server"
	"github.com/xlstm-go/xlstm/web/demo"
)

// main is the Cloudflare Worker (make worker): the same handler, one Go
// instance per isolate (internal/cfworker). The model is not in this binary:
// worker/worker.mjs fetches the default bundle once per isolate from the
// Worker's static assets (make worker copies it there beside the page) and
// hands its files over as context.bundle. Variables MAX_CONCURRENT and
// MAX_TOKENS set the limits; STREAM_STALL_SECONDS is how long a response may
// go unread before its generation is cancelled.
func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	srv, stall, err := setup(logger)
	if err != nil {
		logger.Error("worker start", "error", err)
		cfworker.Serve(failing(err), time.Minute)
		return
	}
	cfworker.Serve(srv, stall)
}

func setup(logger *slog.Logger) (*server.Server, time.Duration, error) {
	maxConc, err := cfworker.GetenvInt(cloudflare.Getenv, "MAX_CONCURRENT", 4)
	if err != nil {
		return nil, 0, err
	}
	maxTok, err := cfworker.GetenvInt(cloudflare.Getenv, "MAX_TOKENS", 512)
	if err != nil {
		return nil, 0, err
	}
	stall, err := cfworker.GetenvInt(cloudflare.Getenv, "STREAM_STALL_SECONDS", 15)
	if err != nil {
		return nil, 0, err
	}
	files, err := bundleFiles(js.Global().Get("context").Get("bundle"))
	if err != nil {
		return nil, 0, err
	}
	m, err := server.LoadModel("default", files, server.CPUEngine(1))
	if err != nil {
		return nil, 0, err
	}
	srv, err := server.New(server.Config{Models: []*server.Model{m}, MaxConcurrent: maxConc, MaxTokens: maxTok, Logger: logger})
	if err != nil {
		return nil, 0, err
	}
	logger.Info("worker ready", "model", "default", "files", len(files), "max_concurrent", maxConc, "max_tokens", maxTok)
	return srv, time.Duration(stall) * time.Second, nil
}

// bundleFiles copies the bundle worker.mjs fetched ({name: Uint8Array}).
func bundleFiles(obj js.Value) (demo.MemFS, error) {
	if obj.Type() != js.TypeObject {
		return nil, fmt.Errorf("no model bundle in the worker context (worker.mjs fetches it from the static assets)")
	}
	keys := js.Global().Get("Object").Call("keys", obj)
	files := demo.MemFS{}
	for i := range keys.Length() {
		name := keys.Index(i).String()
		v := obj.Get(name)
		b := make([]byte, v.Get("byteLength").Int())
		js.CopyBytesToGo(b, v)
		files[name] = b
	}
	return files, nil
}
