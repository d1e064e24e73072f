package kernels

import "sync"

// minParallel is the matrix size (rows × columns) below which MatVec runs on
// the calling goroutine. Waking a worker through a channel costs several
// microseconds; measured on the 2-core development machine, that outweighs
// the split for cache-sized matrices, and a 4 MB one breaks even.
const minParallel = 1 << 20

// Pool runs matrix products on several goroutines: the caller plus
// threads-1 workers that live until Close. It is safe for concurrent use;
// concurrent calls take turns. A nil *Pool runs everything on the caller.
type Pool struct {
	mu      sync.Mutex
	threads int
	work    []chan part // one per worker
	wg      sync.WaitGroup
}

// part is one worker's share of a MatVec: rows of y and w.
type part struct{ y, w, x []float32 }

// NewPool starts a pool of threads goroutines (the caller counts as one).
// threads < 2 gives a nil pool, which runs inline.
func NewPool(threads int) *Pool {
	if threads < 2 {
		return nil
	}
	p := &Pool{threads: threads, work: make([]chan part, threads-1)}
	for i := range p.work {
		ch := make(chan part, 1)
		p.work[i] = ch
		go func() {
			for pt := range ch {
				MatVec(pt.y, pt.w, pt.x)
				p.wg.Done()
			}
		}()
	}
	return p
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
	for _, ch := range p.work {
		close(ch)
	}
	p.work = nil
}

// MatVec is MatVec with the rows of w split across the pool: each
// goroutine computes a contiguous block of y, rows in multiples of four.
func (p *Pool) MatVec(y, w, x []float32) {
	n := len(x)
	if p == nil || len(y)*n < minParallel || len(y) < 8 {
		MatVec(y, w, x)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// Blocks of rows, a multiple of four, with threads·rows ≥ len(y); the
	// caller takes rows [0, rows), the workers the blocks after it.
	rows := ((len(y)+p.threads-1)/p.threads + 3) &^ 3
	lo := rows
	for _, ch := range p.work {
		if lo >= len(y) {
			break
		}
		hi := min(lo+rows, len(y))
		p.wg.Add(1)
		ch <- part{y[lo:hi], w[lo*n : hi*n], x}
		lo = hi
	}
	MatVec(y[:min(rows, len(y))], w[:min(rows, len(y))*n], x)
	p.wg.Wait()
}
