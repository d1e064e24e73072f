package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/runtime/model"
)

// lmVariants are small original-LM configs covering every optional part:
// conv or not, biases, tied head, post-blocks norm, sLSTM group-norm weight,
// FFN activations.
var lmVariants = []struct{ name, yaml string }{
	{"mixed conv gelu", `
vocab_size: 11
context_length: 6
num_blocks: 3
embedding_dim: 8
slstm_at: [1]
mlstm_block:
  mlstm: {num_heads: 2, conv1d_kernel_size: 3, qkv_proj_blocksize: 4}
slstm_block:
  slstm: {num_heads: 2, conv1d_kernel_size: 2}
  feedforward: {proj_factor: 1.3, act_fn: gelu, round_proj_up_to_multiple_of: 4}
`},
	{"bias tied no-post-norm relu^2", `
vocab_size: 11
context_length: 6
num_blocks: 2
embedding_dim: 8
slstm_at: [0]
bias: true
tie_weights: true
add_post_blocks_norm: false
mlstm_block:
  mlstm: {num_heads: 1, conv1d_kernel_size: 4, qkv_proj_blocksize: 2}
slstm_block:
  slstm: {num_heads: 4, conv1d_kernel_size: 0, group_norm_weight: false}
  feedforward: {proj_factor: 1.0, act_fn: relu^2, bias: true, round_proj_up_to_multiple_of: 4}
`},
	{"mLSTM without conv", `
vocab_size: 9
context_length: 6
num_blocks: 2
embedding_dim: 8
mlstm_block:
  mlstm: {num_heads: 2, conv1d_kernel_size: 0, qkv_proj_blocksize: 8}
`},
	{"sLSTM only, swish", `
vocab_size: 9
num_blocks: 2
embedding_dim: 8
slstm_at: all
slstm_block:
  slstm: {num_heads: 2, conv1d_kernel_size: 4}
  feedforward: {proj_factor: 1.3, act_fn: swish, round_proj_up_to_multiple_of: 4}
`},
	{"sLSTM selu", `
vocab_size: 9
num_blocks: 1
embedding_dim: 4
slstm_at: all
slstm_block:
  slstm: {num_heads: 1}
  feedforward: {proj_factor: 2, act_fn: selu, round_proj_up_to_multiple_of: 4}
`},
	{"sLSTM sigmoid", `
vocab_size: 9
num_blocks: 1
embedding_dim: 4
slstm_at: all
slstm_block:
  slstm: {num_heads: 2}
  feedforward: {proj_factor: 2, act_fn: sigmoid, round_proj_up_to_multiple_of: 4}
`},
}

// TestLMFiniteDifference checks the whole original-LM gradient (float64)
// against central differences of the loss, for every tensor of every
// variant: the largest-gradient element and a few random ones must agree
// to 1e-6 of the tensor's largest gradient plus 1e-8 (the difference
// quotient's rounding noise at h = 1e-6).
func TestLMFiniteDifference(t *testing.T) {
	for _, v := range lmVariants {
		t.Run(v.name, func(t *testing.T) {
			cfg, err := model.ParseConfigYAML([]byte(v.yaml))
			if err != nil {
				t.Fatal(err)
			}
			src, err := modeltest.Random(cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			specs, _ := model.Tensors(cfg)
			w := make([][]float64, len(specs))
			for i, s := range specs {
				w[i] = make([]float64, numel(s.Shape))
				if err := src.ReadFloat64(s.Name, w[i]); err != nil {
					t.Fatal(err)
				}
			}
			rng := rand.New(rand.NewPCG(5, 9))
			batch := make([][]int, 3)
			for b := range batch {
				batch[b] = make([]int, 6)
				for j := range batch[b] {
					batch[b][j] = rng.IntN(cfg.VocabSize)
				}
			}
			core, err := newLMCore[float64](cfg, 2)
			if err != nil {
				t.Fatal(err)
			}
			g := zerosLike(w)
			if _, err := core.run(w, batch, g); err != nil {
				t.Fatal(err)
			}
			loss := func() float64 {
				l, err := core.run(w, batch, nil)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			const h = 1e-6
			var worst float64
			for i, s := range specs {
				scale, arg := 0.0, 0
				for j, x := range g[i] {
					if math.Abs(x) > scale {
						scale, arg = math.Abs(x), j
					}
				}
				scale = max(scale, 1e-4)
				idx := []int{arg}
				for range 4 {
					idx = append(idx, rng.IntN(len(w[i])))
				}
				for _, j := range idx {
					old := w[i][j]
					w[i][j] = old + h
					lp := loss()
					w[i][j] = old - h
					lm := loss()
					w[i][j] = old
					fd := (lp - lm) / (2 * h)
					e := math.Abs(fd-g[i][j]) / scale
					worst = max(worst, e)
					if math.Abs(fd-g[i][j]) > 1e-6*scale+1e-8 {
						t.Errorf("%s[%d]: gradient %.10g, central difference %.10g (rel %.2g)", s.Name, j, g[i][j], fd, e)
					}
				}
			}
			t.Logf("%d tensors, worst relative error %.2g", len(specs), worst)
		})
	}
}
