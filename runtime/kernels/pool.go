package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// minParallel is the matrix size (rows × columns) below which MatVec runs on
// the calling goroutine: measured on the 2-core development machine,
// splitting smaller (cache-resident) products cost more than it saved.
const minParallel = 1 << 19

// spinFor is how long an idle worker polls for the next product before it
// parks. During decode the next large product follows within a block's
// time (well under a millisecond to a few), and a park and wake-up costs
// several microseconds plus, now and then, a runtime allocation.
const spinFor = 5 * time.Millisecond

// Pool runs matrix products on several goroutines: the caller plus
// threads-1 workers that live until Close. It is safe for concurrent use;
// concurrent calls take turns. A nil *Pool runs everything on the caller.
type Pool struct {
	mu      sync.Mutex
	threads int
	workers []*worker

	// The current product, published by bumping gen.
	gen     atomic.Uint64
	y, w, x []float32
	q       *QMat        // the weights when quantised (then w is nil)
	rows    int          // rows per goroutine, a multiple of four
	pending atomic.Int32 // worker shares not yet done
	closed  atomic.Bool
}

// worker is one goroutine's parking place.
type worker struct {
	parked atomic.Bool
	wake   chan struct{} // buffered 1
}

// NewPool starts a pool of threads goroutines (the caller counts as one).
// threads < 2 gives a nil pool, which runs inline.
func NewPool(threads int) *Pool {
	if threads < 2 {
		return nil
	}
	p := &Pool{threads: threads}
	for i := 1; i < threads; i++ {
		wk := &worker{wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, wk)
		go p.run(i, wk, p.gen.Load())
	}
	return p
}

// run is worker i's loop: wait for a generation after seen (read before
// the goroutine starts, so a product published meanwhile is not missed), do
// share i, repeat.
func (p *Pool) run(i int, wk *worker, seen uint64) {
	for {
		g := p.await(seen, wk)
		if p.closed.Load() {
			return
		}
		seen = g
		p.share(i)
		p.pending.Add(-1)
	}
}

// await spins, then parks, until the generation moves past seen.
func (p *Pool) await(seen uint64, wk *worker) uint64 {
	start := time.Now()
	for n := 1; ; n++ {
		if g := p.gen.Load(); g != seen {
			return g
		}
		if n%64 == 0 {
			if time.Since(start) > spinFor {
				break
			}
			runtime.Gosched()
		}
	}
	for {
		wk.parked.Store(true)
		// Re-check after announcing the park: a publisher that bumped gen
		// before seeing parked=true did not send a wake-up.
		if g := p.gen.Load(); g != seen {
			wk.parked.Store(false)
			return g
		}
		<-wk.wake
		wk.parked.Store(false)
		if g := p.gen.Load(); g != seen {
			return g
		}
	}
}

// share computes goroutine i's block of rows of the current product.
func (p *Pool) share(i int) {
	n := len(p.x)
	lo := min(i*p.rows, len(p.y))
	hi := min(lo+p.rows, len(p.y))
	switch {
	case lo >= hi:
	case p.q != nil:
		sub := p.q.rows(lo, hi)
		matVecQ(p.y[lo:hi], &sub, p.x)
	default:
		MatVec(p.y[lo:hi], p.w[lo*n:hi*n], p.x)
	}
}

// Threads returns how many goroutines share the work (1 for a nil pool).
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed.Store(true)
	p.gen.Add(1)
	for _, wk := range p.workers {
		select {
		case wk.wake <- struct{}{}:
		default:
		}
	}
}

// MatVec is MatVec with the rows of w split across the pool: each
// goroutine computes a contiguous block of y, rows in multiples of four.
func (p *Pool) MatVec(y, w, x []float32) {
	if p == nil || len(y)*len(x) < minParallel || len(y) < 4*p.threads {
		MatVec(y, w, x)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.y, p.w, p.x = y, w[:len(y)*len(x)], x
	p.runShares()
}

// MatVecQ is MatVecQ with the rows of w split across the pool like
// MatVec's.
func (p *Pool) MatVecQ(y []float32, w *QMat, x []float32) {
	if p == nil || w.Rows*w.Cols < minParallel || w.Rows < 4*p.threads {
		MatVecQ(y, w, x)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.y, p.q, p.x = y[:w.Rows], w, x[:w.Cols]
	p.runShares()
}

// runShares publishes the product set in p, does share 0 and waits for
// the workers' shares.
func (p *Pool) runShares() {
	p.rows = ((len(p.y)+p.threads-1)/p.threads + 3) &^ 3 // threads·rows ≥ len(y)
	p.pending.Store(int32(len(p.workers)))
	p.gen.Add(1)
	for _, wk := range p.workers {
		if wk.parked.Load() {
			select {
			case wk.wake <- struct{}{}:
			default:
			}
		}
	}
	p.share(0)
	for p.pending.Load() != 0 {
		runtime.Gosched()
	}
	p.y, p.w, p.x, p.q = nil, nil, nil, nil
}
