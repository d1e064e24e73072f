//go:build js && wasm

// Command wasm is the demo page's engine, run by the page's Web Worker
// (web/static/worker.js) as Go-wasm. It sets globalThis.xlstmGo =
// {handle(msg), webgpu}; the worker passes each message to handle, which
// returns at once, and gets answers through globalThis.xlstmReply(msg) and
// streamed tokens through globalThis.xlstmToken(id, token, text).
// Messages run one at a time on a goroutine (async WebGPU calls deadlock
// inside a js.FuncOf callback); "stop" is handled at once. The messages are
// documented in web/PROTOCOL.md.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"syscall/js"
	"time"

	"github.com/xlstm-go/xlstm/web/demo"
)

func main() {
	w := &worker{queue: make(chan js.Value, 16), reply: js.Global().Get("xlstmReply"), token: js.Global().Get("xlstmToken")}
	handle := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 1 {
			return nil
		}
		msg := args[0]
		if msg.Get("type").String() == "stop" {
			w.stop()
			return nil
		}
		select {
		case w.queue <- msg:
		default:
			w.send("error", msg.Get("id"), map[string]any{"message": "busy: too many requests queued"})
		}
		return nil
	})
	js.Global().Set("xlstmGo", map[string]any{"handle": handle, "webgpu": gpuOpener() != nil})
	w.send("started", js.Undefined(), nil)
	for msg := range w.queue {
		w.run(msg)
	}
}

// yieldEvery is how often a generation lets the worker's event loop run
// (each turn costs a timer tick, up to 4 ms in browsers).
const yieldEvery = 100 * time.Millisecond

type worker struct {
	queue chan js.Value
	reply js.Value // xlstmReply(msg): answers
	token js.Value // xlstmToken(id, token, text): streamed tokens, without a message object each
	d     *demo.Demo

	mu     sync.Mutex
	cancel context.CancelFunc // of the running generation
}

func (w *worker) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel != nil {
		w.cancel()
	}
}

// send posts {type, id, ...fields} to the worker script.
func (w *worker) send(typ string, id js.Value, fields map[string]any) {
	m := map[string]any{"type": typ, "id": id}
	for k, v := range fields {
		m[k] = v
	}
	w.reply.Invoke(m)
}

// sendJSON posts {type, id, data: JSON text of v}.
func (w *worker) sendJSON(typ string, id js.Value, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		w.fail(id, fmt.Errorf("%s: %w", typ, err))
		return
	}
	w.send(typ, id, map[string]any{"data": string(b)})
}

func (w *worker) fail(id js.Value, err error) {
	w.send("error", id, map[string]any{"message": err.Error()})
}

// str is v's text, "" when v is not a string (js.Value.String would give
// "<undefined>").
func str(v js.Value) string {
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// bytesOf copies a Uint8Array; what names it goes into the error.
func bytesOf(v js.Value, what string) ([]byte, error) {
	if v.Type() != js.TypeObject || !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, fmt.Errorf("%s: want a Uint8Array, got %s", what, v.Type())
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b, nil
}

func (w *worker) run(msg js.Value) {
	id := msg.Get("id")
	var err error
	switch t := str(msg.Get("type")); t {
	case "files":
		err = w.files(id, msg)
	case "load":
		err = w.load(id, msg)
	case "generate":
		err = w.generate(id, msg)
	case "save":
		err = w.save(id)
	case "restore":
		err = w.restore(id, msg)
	case "logits":
		err = w.logits(id, msg)
	default:
		err = fmt.Errorf("unknown message type %q", t)
	}
	if err != nil {
		w.fail(id, err)
	}
}

// files answers the list of bundle files to fetch for a manifest.
func (w *worker) files(id, msg js.Value) error {
	man, err := bytesOf(msg.Get("manifest"), "manifest")
	if err != nil {
		return err
	}
	files, err := demo.Files(man)
	if err != nil {
		return err
	}
	w.sendJSON("files", id, files)
	return nil
}

// load builds the engine from the fetched files {name: Uint8Array}.
func (w *worker) load(id, msg js.Value) error {
	if w.d != nil {
		w.d.Close()
		w.d = nil
	}
	files := msg.Get("files")
	if files.Type() != js.TypeObject {
		return fmt.Errorf("load: files: want an object, got %s", files.Type())
	}
	fsys := demo.MemFS{}
	keys := js.Global().Get("Object").Call("keys", files)
	for i := range keys.Length() {
		k := keys.Index(i).String()
		b, err := bytesOf(files.Get(k), "load: file "+k)
		if err != nil {
			return err
		}
		fsys[k] = b
	}
	d, err := demo.Load(fsys, demo.LoadOptions{
		Backend: str(msg.Get("backend")),
		NoGPU:   str(msg.Get("noGPU")),
		GPU:     str(msg.Get("gpu")),
		OpenGPU: gpuOpener(),
		Verify:  !msg.Get("verified").Truthy(),
	})
	if err != nil {
		return err
	}
	w.d = d
	w.sendJSON("loaded", id, d.Info())
	return nil
}

func (w *worker) loaded() error {
	if w.d == nil {
		return fmt.Errorf("no model loaded")
	}
	return nil
}

// generate streams {type:"token", id, token, text} messages, then "done".
func (w *worker) generate(id, msg js.Value) error {
	if err := w.loaded(); err != nil {
		return err
	}
	var req demo.Request
	if err := json.Unmarshal([]byte(str(msg.Get("request"))), &req); err != nil {
		return fmt.Errorf("generate request: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.mu.Lock()
	w.cancel = cancel
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.cancel = nil
		w.mu.Unlock()
		cancel()
	}()
	last := time.Now()
	st, err := w.d.Generate(ctx, req, func(t demo.Token) error {
		w.token.Invoke(id, t.ID, t.Text)
		// Go-wasm gives the worker's event loop a turn only when every
		// goroutine waits: sleep now and then so that "stop" gets in.
		if time.Since(last) > yieldEvery {
			time.Sleep(time.Millisecond)
			last = time.Now()
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.sendJSON("done", id, st)
	return nil
}

func (w *worker) save(id js.Value) error {
	if err := w.loaded(); err != nil {
		return err
	}
	rec, err := w.d.Save()
	if err != nil {
		return err
	}
	arr := js.Global().Get("Uint8Array").New(len(rec))
	js.CopyBytesToJS(arr, rec)
	w.send("saved", id, map[string]any{"record": arr})
	return nil
}

func (w *worker) restore(id, msg js.Value) error {
	if err := w.loaded(); err != nil {
		return err
	}
	rec, err := bytesOf(msg.Get("record"), "restore: record")
	if err != nil {
		return err
	}
	saved, err := w.d.Restore(rec)
	if err != nil {
		return err
	}
	w.sendJSON("restored", id, saved)
	return nil
}

// logits is the test hook: the logits after each prefix of msg.tokens, as
// a Float32Array of len(tokens)·vocab values.
func (w *worker) logits(id, msg js.Value) error {
	if err := w.loaded(); err != nil {
		return err
	}
	var tokens []int
	if err := json.Unmarshal([]byte(str(msg.Get("tokens"))), &tokens); err != nil {
		return fmt.Errorf("logits tokens: %w", err)
	}
	l, err := w.d.Logits(tokens)
	if err != nil {
		return err
	}
	arr := js.Global().Get("Float32Array").New(len(l))
	buf := make([]byte, 4*len(l))
	for i, v := range l {
		u := math.Float32bits(v)
		buf[4*i], buf[4*i+1], buf[4*i+2], buf[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	js.CopyBytesToJS(js.Global().Get("Uint8Array").New(arr.Get("buffer")), buf)
	w.send("logits", id, map[string]any{"logits": arr, "vocab": w.d.Config().VocabSize})
	return nil
}
