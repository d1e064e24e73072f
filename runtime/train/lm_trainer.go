package train

import (
	"fmt"
	"sync"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// headRows is how many rows of logits the head computes at once, so a
// large vocabulary never needs the whole (rows × V) matrix.
const headRows = 256

// lmCore is the original LM's loss and gradient in precision F: the
// parallel mLSTM form and the sLSTM recurrence (SPEC §2–§5), with the
// batch split into fixed contiguous shares, one per worker (so at most B
// workers run), and the workers' gradients summed in worker order
// (deterministic for a given thread count).
type lmCore[F model.Float] struct {
	cfg       *model.Config
	specs     []model.TensorSpec
	index     map[string]int
	md        mlstmDims
	sd        slstmDims
	act, dact func(F) F
	workers   []*lmWorker[F]
}

// lmWorker holds one worker's scratch, tapes and gradient accumulators.
type lmWorker[F model.Float] struct {
	ws, tws scratch[F]
	mt      []mlstmTape[F]
	st      []slstmTape[F]
	grads   [][]F
	targets []int
	loss    float64
	err     error
}

func newLMCore[F model.Float](cfg *model.Config, threads int) (*lmCore[F], error) {
	if cfg.Family != model.FamilyLM {
		return nil, fmt.Errorf("config is %s, not the original xLSTM LM", cfg.Family)
	}
	specs, err := model.Tensors(cfg)
	if err != nil {
		return nil, err
	}
	c := &lmCore[F]{cfg: cfg, specs: specs, index: map[string]int{}, md: mlstmDimsOf(cfg), sd: slstmDimsOf(cfg)}
	for i, s := range specs {
		c.index[s.Name] = i
	}
	if cfg.LM.FFN != nil {
		c.act, c.dact = activation[F](cfg.LM.FFN.ActFn)
		if c.act == nil {
			return nil, fmt.Errorf("unsupported FFN activation %q", cfg.LM.FFN.ActFn)
		}
	}
	for range max(threads, 1) {
		wk := &lmWorker[F]{
			mt: make([]mlstmTape[F], cfg.NumBlocks),
			st: make([]slstmTape[F], cfg.NumBlocks),
		}
		c.workers = append(c.workers, wk)
	}
	return c, nil
}

// get returns the tensor called name from w, or nil when the config has none.
func (c *lmCore[F]) get(w [][]F, name string) []F {
	if i, ok := c.index[name]; ok {
		return w[i]
	}
	return nil
}

func (c *lmCore[F]) mlstm(w [][]F, blk int) *mlstmW[F] {
	p := fmt.Sprintf("xlstm_block_stack.blocks.%d.", blk)
	x := p + "xlstm."
	return &mlstmW[F]{
		norm: c.get(w, p+"xlstm_norm.weight"), projUp: c.get(w, x+"proj_up.weight"), projUpB: c.get(w, x+"proj_up.bias"),
		convW: c.get(w, x+"conv1d.conv.weight"), convB: c.get(w, x+"conv1d.conv.bias"),
		qW: c.get(w, x+"q_proj.weight"), kW: c.get(w, x+"k_proj.weight"), vW: c.get(w, x+"v_proj.weight"),
		qB: c.get(w, x+"q_proj.bias"), kB: c.get(w, x+"k_proj.bias"), vB: c.get(w, x+"v_proj.bias"),
		igW: c.get(w, x+"mlstm_cell.igate.weight"), igB: c.get(w, x+"mlstm_cell.igate.bias"),
		fgW: c.get(w, x+"mlstm_cell.fgate.weight"), fgB: c.get(w, x+"mlstm_cell.fgate.bias"),
		skip: c.get(w, x+"learnable_skip"), outNorm: c.get(w, x+"mlstm_cell.outnorm.weight"),
		projDown: c.get(w, x+"proj_down.weight"), projDownB: c.get(w, x+"proj_down.bias"),
	}
}

func (c *lmCore[F]) slstm(w [][]F, blk int) *slstmW[F] {
	p := fmt.Sprintf("xlstm_block_stack.blocks.%d.", blk)
	x := p + "xlstm."
	return &slstmW[F]{
		norm: c.get(w, p+"xlstm_norm.weight"), convW: c.get(w, x+"conv1d.conv.weight"), convB: c.get(w, x+"conv1d.conv.bias"),
		iW: c.get(w, x+"fgate.weight"), fW: c.get(w, x+"igate.weight"), // the official swap (SPEC §5.1)
		zW: c.get(w, x+"zgate.weight"), oW: c.get(w, x+"ogate.weight"),
		r: c.get(w, x+"slstm_cell._recurrent_kernel_"), bias: c.get(w, x+"slstm_cell._bias_"),
		gn:      c.get(w, x+"group_norm.weight"),
		ffnNorm: c.get(w, p+"ffn_norm.weight"), ffnUp: c.get(w, p+"ffn.proj_up.weight"), ffnUpB: c.get(w, p+"ffn.proj_up.bias"),
		ffnDn: c.get(w, p+"ffn.proj_down.weight"), ffnDnB: c.get(w, p+"ffn.proj_down.bias"),
	}
}

// run returns the mean loss of batch under w and, when g is non-nil,
// overwrites g with its gradient. batch has been validated.
func (c *lmCore[F]) run(w [][]F, batch [][]int, g [][]F) (float64, error) {
	nb := len(batch)
	s := len(batch[0])
	nw := min(len(c.workers), nb)
	scale := 1 / float64(nb*(s-1))
	var wg sync.WaitGroup
	for k := 0; k < nw; k++ {
		wk := c.workers[k]
		lo, hi := k*nb/nw, (k+1)*nb/nw
		if g != nil {
			if k == 0 {
				wk.grads = g // worker 0 accumulates in place
			} else if len(wk.grads) != len(g) {
				wk.grads = make([][]F, len(g))
				for i := range g {
					wk.grads[i] = make([]F, len(g[i]))
				}
			}
			for _, t := range wk.grads {
				clear(t)
			}
		}
		run := func() { wk.loss, wk.err = c.share(wk, w, batch[lo:hi], g != nil, scale) }
		if k == nw-1 {
			run()
		} else {
			wg.Add(1)
			go func() { defer wg.Done(); run() }()
		}
	}
	wg.Wait()
	var loss float64
	for k := 0; k < nw; k++ {
		wk := c.workers[k]
		if wk.err != nil {
			return 0, wk.err
		}
		loss += wk.loss
		if g != nil && k > 0 {
			for i := range g {
				addTo(g[i], wk.grads[i])
			}
		}
	}
	if g != nil {
		c.workers[0].grads = nil
	}
	return loss * scale, nil
}

// share runs the forward and (with grad) the backward of some sequences,
// adding scale × their gradient into wk.grads; it returns their summed loss.
func (c *lmCore[F]) share(wk *lmWorker[F], w [][]F, seqs [][]int, grad bool, scale float64) (float64, error) {
	wk.ws.reset()
	wk.tws.reset()
	cfg := c.cfg
	nseq, s, d, v := len(seqs), len(seqs[0]), cfg.EmbeddingDim, cfg.VocabSize
	n := nseq * s
	embed := c.get(w, "token_embedding.weight")
	head := embed
	if !cfg.LM.TieWeights {
		head = c.get(w, "lm_head.weight")
	}
	x := wk.tws.takeDirty(n * d)
	for q, seq := range seqs {
		embeddingForward(x[q*s*d:], embed, seq, d)
	}
	for b := 0; b < cfg.NumBlocks; b++ {
		if cfg.LM.BlockIsSLSTM[b] {
			slstmBlockForward(&wk.ws, &wk.tws, c.slstm(w, b), c.sd, c.act, x, nseq, s, &wk.st[b])
		} else {
			mlstmBlockForward(&wk.ws, &wk.tws, c.mlstm(w, b), c.md, x, nseq, s, &wk.mt[b])
		}
	}
	post := c.get(w, "xlstm_block_stack.post_blocks_norm.weight")
	xf := x
	var mean, rstd []F
	if cfg.LM.AddPostBlocksNorm {
		xf, mean, rstd = wk.tws.takeDirty(n*d), wk.tws.takeDirty(n), wk.tws.takeDirty(n)
		layerNormForward(xf, x, post, mean, rstd, n, d, 1e-5)
	}
	// Head and loss in row chunks; the head's backward happens on the way.
	var dxf []F
	var gHead []F
	if grad {
		dxf = wk.tws.take(n * d)
		gHead = c.get(wk.grads, "token_embedding.weight")
		if !cfg.LM.TieWeights {
			gHead = c.get(wk.grads, "lm_head.weight")
		}
	}
	var loss float64
	rows := min(headRows, n)
	logits := wk.tws.takeDirty(rows * v)
	if cap(wk.targets) < rows {
		wk.targets = make([]int, rows)
	}
	targets := wk.targets[:rows]
	for r0 := 0; r0 < n; r0 += rows {
		r1 := min(r0+rows, n)
		m := r1 - r0
		for r := r0; r < r1; r++ {
			q, t := r/s, r%s
			targets[r-r0] = -1
			if t < s-1 {
				targets[r-r0] = seqs[q][t+1]
			}
		}
		lg := logits[:m*v]
		linearForward(lg, xf[r0*d:r1*d], head, nil, m, d, v)
		var dl []F
		if grad {
			dl = lg
		}
		loss += crossEntropy(lg, dl, targets[:m], v, scale)
		if grad {
			linearBackward(&wk.ws, dxf[r0*d:r1*d], gHead, nil, dl, xf[r0*d:r1*d], head, m, d, v)
		}
	}
	if !grad {
		return loss, nil
	}
	dx := dxf
	if cfg.LM.AddPostBlocksNorm {
		dx = wk.tws.take(n * d)
		layerNormBackward(dx, c.get(wk.grads, "xlstm_block_stack.post_blocks_norm.weight"), dxf, x, post, mean, rstd, n, d)
	}
	for b := cfg.NumBlocks - 1; b >= 0; b-- {
		if cfg.LM.BlockIsSLSTM[b] {
			slstmBlockBackward(&wk.ws, c.slstm(w, b), c.slstm(wk.grads, b), c.sd, c.act, c.dact, dx, nseq, s, &wk.st[b])
		} else {
			mlstmBlockBackward(&wk.ws, c.mlstm(w, b), c.mlstm(wk.grads, b), c.md, dx, nseq, s, &wk.mt[b])
		}
	}
	gEmbed := c.get(wk.grads, "token_embedding.weight")
	for q, seq := range seqs {
		embeddingBackward(gEmbed, dx[q*s*d:], seq, d)
	}
	return loss, nil
}

// lmTrainer serves the float32 Params through lmCore[float32].
type lmTrainer struct{ core *lmCore[float32] }

func newLMTrainer(cfg *model.Config, threads int) (familyTrainer, error) {
	c, err := newLMCore[float32](cfg, threads)
	if err != nil {
		return nil, err
	}
	return &lmTrainer{c}, nil
}

func (t *lmTrainer) lossAndGrad(p *Params, batch [][]int, g *Params, wantGrad bool) (float64, error) {
	var gd [][]float32
	if wantGrad {
		gd = g.Data
	}
	return t.core.run(p.Data, batch, gd)
}

func (t *lmTrainer) close() {}
