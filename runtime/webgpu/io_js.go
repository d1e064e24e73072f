//go:build js

package webgpu

import (
	"errors"
	"fmt"
	"sync"
	"syscall/js"
	"unsafe"

	"github.com/cogentcore/webgpu/wgpu"
)

// The binding's Queue.WriteBuffer (v0.23.0) views the Go heap through
// wasm.instance.exports.mem.buffer and then boxes its other arguments; when
// that allocation grows the wasm memory, the view's ArrayBuffer is detached
// and the call panics ("Cannot perform Construct on a detached
// ArrayBuffer"), at random, more often on a loaded machine. writer instead
// copies with js.CopyBytesToJS, which takes its view and copies in one JS
// call, into a Uint8Array it keeps, and hands that to writeBuffer.
//
// It also reads buffers back (mapRead), for two more reasons: the binding's
// MapAsync reports success even when the promise rejects, and its
// GetMappedRange allocates a copy per call.
type writer struct {
	mu    sync.Mutex
	queue js.Value // the GPUQueue
	stage js.Value // Uint8Array of cap bytes, grown on demand
	cap   int
	u8    js.Value // the Uint8Array constructor

	rmu     sync.Mutex // one readback at a time: ok, bad and done are shared
	ok, bad js.Func    // the mapAsync promise's handlers
	done    chan string
}

// maxStage bounds the JS-side copy: larger writes (weights) go in pieces.
const maxStage = 4 << 20

// The binding's js Buffer is a struct holding only its GPUBuffer; jsBuffer
// reads it from there, as the binding keeps it unexported. These lines stop
// the build if that layout changes, and newWriter checks the value.
var (
	_ [unsafe.Sizeof(wgpu.Buffer{}) - unsafe.Sizeof(js.Value{})]struct{}
	_ [unsafe.Sizeof(js.Value{}) - unsafe.Sizeof(wgpu.Buffer{})]struct{}
)

func jsBuffer(b *wgpu.Buffer) js.Value { return *(*js.Value)(unsafe.Pointer(b)) }

// init makes w write through dev's queue (dev is the GPUDevice) after
// checking on a small buffer that jsBuffer finds a GPUBuffer.
func (w *writer) init(dev js.Value, d *wgpu.Device) error {
	b, err := d.CreateBuffer(&wgpu.BufferDescriptor{Size: 16, Usage: wgpu.BufferUsageCopyDst})
	if err != nil {
		return err
	}
	defer b.Destroy()
	if c := js.Global().Get("GPUBuffer"); c.Type() == js.TypeFunction && !jsBuffer(b).InstanceOf(c) {
		return errors.New("the binding's Buffer no longer holds a GPUBuffer (github.com/cogentcore/webgpu changed): cannot write buffers")
	}
	w.queue = dev.Get("queue")
	w.u8 = js.Global().Get("Uint8Array")
	w.done = make(chan string, 1)
	w.ok = js.FuncOf(func(js.Value, []js.Value) any {
		w.done <- ""
		return nil
	})
	w.bad = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "the promise was rejected"
		if len(args) > 0 {
			msg = args[0].Call("toString").String()
		}
		w.done <- msg
		return nil
	})
	return nil
}

// release frees the promise handlers.
func (w *writer) release() {
	if w.done != nil {
		w.ok.Release()
		w.bad.Release()
		w.done = nil
	}
}

func (w *writer) write(_ *wgpu.Queue, b *wgpu.Buffer, off uint64, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.queue.IsUndefined() {
		return errors.New("webgpu: no GPUQueue to write with")
	}
	buf := jsBuffer(b)
	for len(data) > 0 {
		n := min(len(data), maxStage)
		if n > w.cap {
			w.cap = max(n, 64<<10)
			if w.cap > maxStage {
				w.cap = maxStage
			}
			w.stage = w.u8.New(w.cap)
		}
		js.CopyBytesToJS(w.stage, data[:n])
		w.queue.Call("writeBuffer", buf, off, w.stage, 0, n)
		data, off = data[n:], off+uint64(n)
	}
	return nil
}

// mapRead maps stage, copies its first len(dst) bytes into dst and unmaps
// it. The wait is a channel receive on this goroutine: never call it inside
// a js.FuncOf callback.
func (d *Device) mapRead(stage *wgpu.Buffer, size uint64, dst []byte) error {
	w := &d.w
	w.rmu.Lock()
	defer w.rmu.Unlock()
	if w.done == nil {
		return errors.New("webgpu: map for readback: the device is closed")
	}
	b := jsBuffer(stage)
	b.Call("mapAsync", uint32(wgpu.MapModeRead), 0, size).Call("then", w.ok, w.bad)
	if msg := <-w.done; msg != "" {
		return fmt.Errorf("webgpu: map for readback: %s", msg)
	}
	js.CopyBytesToGo(dst, w.u8.New(b.Call("getMappedRange", 0, size)))
	b.Call("unmap")
	return nil
}
