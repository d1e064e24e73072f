//go:build js && wasm

// Package cfworker runs an http.Handler as a Cloudflare Worker, with one Go
// instance serving every request of an isolate.
//
// syumai/workers (v0.32.0) starts a fresh Go instance per request: its
// worker.mjs instantiates the module in every fetch, and its handleRequest
// closes a package-level "done" channel whenever a response body is closed,
// so a second response on the same instance panics (close of closed
// channel). Its request context is also never cancelled. So this package
// keeps syumai/workers' runtime (its wasm_exec.js, which hands the Go side a
// {env, ctx, binding} context, the Ready handshake, cloudflare.Getenv) but
// registers its own binding.handleRequest: each call converts the Request,
// runs the handler on a goroutine, and returns a Response whose body is a
// pull-based ReadableStream fed through an io.Pipe (so a stream flows as
// written); cancelling that stream (the client went away) cancels the
// request's context. worker/worker.mjs instantiates the module once per
// isolate and awaits Ready before the first request.
package cfworker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"syscall/js"
	"time"

	"github.com/syumai/workers"
)

// errCancelled ends the pipe when the client cancels the response stream.
var errCancelled = errors.New("cfworker: response stream cancelled by the client")

// errStalled ends the pipe when nothing reads the response for too long.
var errStalled = errors.New("cfworker: nothing read the response stream; the client is gone")

// Serve registers h as the isolate's request handler, signals readiness, and
// blocks for the isolate's life. A response whose stream nobody reads for
// stall is abandoned: its request's context is cancelled. (Under wrangler
// dev a client that disconnects neither cancels the stream nor aborts
// request.signal, so this is what frees its generation there.)
func Serve(h http.Handler, stall time.Duration) {
	binding := js.Global().Get("context").Get("binding")
	binding.Set("handleRequest", js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) < 1 {
			return promise(func() (js.Value, error) { return js.Null(), errors.New("handleRequest: no request") })
		}
		req, body := args[0], js.Null()
		if len(args) > 1 {
			body = args[1]
		}
		return promise(func() (js.Value, error) { return serve(h, req, body, stall) })
	}))
	workers.Ready()
	select {}
}

// promise runs f on a goroutine and settles a JS Promise with its result.
func promise(f func() (js.Value, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(this js.Value, args []js.Value) any {
		executor.Release()
		resolve, reject := args[0], args[1]
		go func() {
			v, err := f()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return js.Global().Get("Promise").New(executor)
}

// toRequest converts a JS Request; body is its bytes (a Uint8Array) or null.
func toRequest(ctx context.Context, jr, body js.Value) (*http.Request, error) {
	u, err := url.Parse(jr.Get("url").String())
	if err != nil {
		return nil, fmt.Errorf("request url: %w", err)
	}
	var data []byte
	if body.Truthy() {
		data = make([]byte, body.Get("byteLength").Int())
		js.CopyBytesToGo(data, body)
	}
	r, err := http.NewRequestWithContext(ctx, jr.Get("method").String(), u.String(), bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	r.RequestURI = u.RequestURI()
	r.ContentLength = int64(len(data))
	it := jr.Get("headers").Call("entries")
	for {
		n := it.Call("next")
		if n.Get("done").Bool() {
			break
		}
		kv := n.Get("value")
		r.Header.Add(kv.Index(0).String(), kv.Index(1).String())
	}
	r.Host = u.Host
	r.RemoteAddr = r.Header.Get("Cf-Connecting-Ip")
	return r, nil
}

// responseWriter feeds the handler's output into a pipe; ready closes at
// the first write (or the handler's end), when the head is known.
type responseWriter struct {
	header http.Header
	status int
	pw     *io.PipeWriter
	ready  chan struct{}
	sent   bool

	stall   time.Duration // a Write blocked this long abandons the response
	abandon func()
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.markReady()
	if w.stall <= 0 {
		return w.pw.Write(b)
	}
	t := time.AfterFunc(w.stall, w.abandon)
	defer t.Stop()
	return w.pw.Write(b)
}

// Flush is a no-op: the pipe has no buffer.
func (w *responseWriter) Flush() {}

func (w *responseWriter) markReady() {
	if !w.sent {
		w.sent = true
		if w.status == 0 {
			w.status = http.StatusOK
		}
		close(w.ready)
	}
}

// serve runs h on one request and returns the JS Response once the head
// is written; the body streams on.
func serve(h http.Handler, jr, body js.Value, stall time.Duration) (js.Value, error) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := toRequest(ctx, jr, body)
	if err != nil {
		cancel()
		return js.Null(), err
	}
	pr, pw := io.Pipe()
	w := &responseWriter{header: http.Header{}, pw: pw, ready: make(chan struct{}), stall: stall, abandon: func() {
		cancel()
		pr.CloseWithError(errStalled)
	}}
	// With the enable_request_signal flag, request.signal aborts when the
	// client goes away: cancel the handler's context.
	release := func() {}
	if sig := jr.Get("signal"); sig.Truthy() {
		onAbort := js.FuncOf(func(js.Value, []js.Value) any {
			cancel()
			pr.CloseWithError(errCancelled)
			return nil
		})
		sig.Call("addEventListener", "abort", onAbort)
		release = func() {
			sig.Call("removeEventListener", "abort", onAbort)
			onAbort.Release()
		}
	}
	go func() {
		defer release()
		defer cancel()
		defer pw.Close()
		defer w.markReady()
		h.ServeHTTP(w, r)
	}()
	<-w.ready

	headers := js.Global().Get("Headers").New()
	for k, vs := range w.header {
		for _, v := range vs {
			headers.Call("append", k, v)
		}
	}
	init := js.Global().Get("Object").New()
	init.Set("status", w.status)
	init.Set("statusText", http.StatusText(w.status))
	init.Set("headers", headers)
	var stream js.Value = js.Null()
	if r.Method != http.MethodHead && w.status != http.StatusNoContent && w.status != http.StatusNotModified && w.status >= 200 {
		stream = readable(pr, cancel)
	} else {
		pr.CloseWithError(errCancelled)
	}
	return js.Global().Get("Response").New(stream, init), nil
}

// readable wraps the pipe's reader as a pull-based ReadableStream.
func readable(pr *io.PipeReader, cancel context.CancelFunc) js.Value {
	buf := make([]byte, 32<<10)
	var pull, cancelFn js.Func
	release := func() {
		pull.Release()
		cancelFn.Release()
	}
	pull = js.FuncOf(func(this js.Value, args []js.Value) any {
		controller := args[0]
		return promise(func() (js.Value, error) {
			n, err := pr.Read(buf)
			if n > 0 {
				chunk := js.Global().Get("Uint8Array").New(n)
				js.CopyBytesToJS(chunk, buf[:n])
				if jerr := call(controller, "enqueue", chunk); jerr != nil {
					// The stream is gone (the client left): stop the handler.
					cancel()
					pr.CloseWithError(errCancelled)
					release()
					return js.Undefined(), nil
				}
			}
			if err != nil {
				call(controller, "close")
				release()
			}
			return js.Undefined(), nil
		})
	})
	cancelFn = js.FuncOf(func(this js.Value, args []js.Value) any {
		cancel()
		pr.CloseWithError(errCancelled)
		return nil
	})
	src := js.Global().Get("Object").New()
	src.Set("pull", pull)
	src.Set("cancel", cancelFn)
	strategy := js.Global().Get("Object").New()
	strategy.Set("highWaterMark", 0)
	return js.Global().Get("ReadableStream").New(src, strategy)
}

// call calls a JS method, returning what it throws as an error instead of
// panicking.
func call(v js.Value, method string, args ...any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", method, r)
		}
	}()
	v.Call(method, args...)
	return nil
}

// GetenvInt reads a Worker variable as an integer, def when unset.
func GetenvInt(get func(string) string, name string, def int) (int, error) {
	s := get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("worker variable %s=%q: not an integer", name, s)
	}
	return n, nil
}
