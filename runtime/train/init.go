package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// InitParams returns parameters initialised as the official code's
// reset_parameters (SPEC §7), drawn from a PCG generator seeded with seed in
// the order of model.Tensors (same seed, same values, on every platform):
//
//   - embedding, untied head, proj_up, q/k/v_proj, sLSTM gate and FFN up
//     projections: small_init N(0, √(2/(5D)));
//   - proj_down (mLSTM and FFN): wang N(0, 2/num_blocks/√D);
//   - norm weights (offsets) 0, learnable_skip 1, linear biases 0;
//   - mLSTM igate/fgate weights 0, fgate bias linspace(3, 6, NH), igate
//     bias N(0, 0.1);
//   - sLSTM recurrent kernel 0, bias 0 except the forget gate's
//     powerlaw_blockdependent values;
//   - causal convolutions as torch's Conv1d default, U(±1/√K).
//
// xLSTM Large has no initialisation in the SPEC; it gets small_init for
// the embedding and input projections, wang for out_proj and proj_down, norm
// weights 1, gate weights 0, igate bias −10, fgate bias linspace(3, 6, NH),
// other biases 0 (the xLSTM-7B recipe; not checked against official code).
func InitParams(cfg *model.Config, seed uint64) (*Params, error) {
	p, err := NewParams(cfg)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x786c73746d2d676f)) // "xlstm-go"
	d := float64(cfg.EmbeddingDim)
	small := math.Sqrt(2 / (5 * d))
	wang := 2 / float64(cfg.NumBlocks) / math.Sqrt(d)
	for i, s := range p.Specs {
		dst := p.Data[i]
		var err error
		if cfg.Family == model.FamilyLM {
			err = initLM(cfg, s, dst, rng, small, wang)
		} else {
			err = initLarge(cfg, s, dst, rng, small, wang)
		}
		if err != nil {
			return nil, fmt.Errorf("train: init %s: %w", s.Name, err)
		}
	}
	return p, nil
}

func initLM(cfg *model.Config, s model.TensorSpec, dst []float32, rng *rand.Rand, small, wang float64) error {
	name := s.Name
	switch {
	case strings.HasSuffix(name, "norm.weight"), strings.HasSuffix(name, ".bias") && !strings.Contains(name, "gate.bias") && !strings.Contains(name, "conv"):
		// Norm offsets and linear biases start at 0 (already zero).
	case name == "token_embedding.weight", name == "lm_head.weight",
		strings.HasSuffix(name, "proj_up.weight"), strings.HasSuffix(name, "q_proj.weight"),
		strings.HasSuffix(name, "k_proj.weight"), strings.HasSuffix(name, "v_proj.weight"),
		strings.HasSuffix(name, "xlstm.igate.weight"), strings.HasSuffix(name, "xlstm.fgate.weight"),
		strings.HasSuffix(name, "zgate.weight"), strings.HasSuffix(name, "ogate.weight"):
		normal(dst, rng, small)
	case strings.HasSuffix(name, "proj_down.weight"):
		normal(dst, rng, wang)
	case strings.HasSuffix(name, "learnable_skip"):
		fill(dst, 1)
	case strings.HasSuffix(name, "mlstm_cell.igate.weight"), strings.HasSuffix(name, "mlstm_cell.fgate.weight"),
		strings.HasSuffix(name, "_recurrent_kernel_"):
		// zeros
	case strings.HasSuffix(name, "mlstm_cell.fgate.bias"):
		linspace(dst, 3, 6)
	case strings.HasSuffix(name, "mlstm_cell.igate.bias"):
		normal(dst, rng, 0.1)
	case strings.HasSuffix(name, "conv.weight"), strings.HasSuffix(name, "conv.bias"):
		k := cfg.LM.MLSTM.ConvKernelSize
		if strings.Contains(name, "blocks.") && isSLSTMName(cfg, name) {
			k = cfg.LM.SLSTM.ConvKernelSize
		}
		bound := 1 / math.Sqrt(float64(k))
		for j := range dst {
			dst[j] = float32((2*rng.Float64() - 1) * bound)
		}
	case strings.HasSuffix(name, "_bias_"):
		blk, err := blockIndex(name)
		if err != nil {
			return err
		}
		nh, dh := cfg.LM.SLSTM.NumHeads, cfg.LM.SLSTM.HeadDim
		ratio := 0.0
		if cfg.NumBlocks > 1 {
			ratio = float64(blk) / float64(cfg.NumBlocks-1)
		}
		h := nh * dh
		for hd := 0; hd < nh; hd++ {
			for j := 0; j < dh; j++ {
				x := 0.0
				if dh > 1 {
					x = float64(j) / float64(dh-1)
				}
				dst[h+hd*dh+j] = float32(-(-5 + 12*math.Pow(x, 0.3+1.3*ratio)))
			}
		}
	default:
		return fmt.Errorf("no initialisation rule for shape %v", s.Shape)
	}
	return nil
}

func initLarge(cfg *model.Config, s model.TensorSpec, dst []float32, rng *rand.Rand, small, wang float64) error {
	name, g := s.Name, cfg.Large
	switch {
	case strings.HasSuffix(name, "norm.weight"), strings.HasSuffix(name, "norm_mlstm.weight"), strings.HasSuffix(name, "norm_ffn.weight"):
		fill(dst, 1)
	case strings.HasSuffix(name, "out_proj.weight"), strings.HasSuffix(name, "proj_down.weight"):
		normal(dst, rng, wang)
	case strings.HasSuffix(name, "igate_preact.weight"), strings.HasSuffix(name, "fgate_preact.weight"):
		// zeros
	case strings.HasSuffix(name, "igate_preact.bias"):
		fill(dst, -10)
	case strings.HasSuffix(name, "fgate_preact.bias"):
		linspace(dst, 3, 6)
	case strings.HasSuffix(name, "ifgate_preact.weight"):
		// zeros
	case strings.HasSuffix(name, "ifgate_preact.bias"):
		fill(dst[:g.NumHeads], -10)
		linspace(dst[g.NumHeads:], 3, 6)
	case strings.HasSuffix(name, ".bias"):
		// zeros
	case strings.HasSuffix(name, ".weight"):
		normal(dst, rng, small)
	default:
		return fmt.Errorf("no initialisation rule for shape %v", s.Shape)
	}
	return nil
}

// blockIndex parses i out of "...blocks.<i>....".
func blockIndex(name string) (int, error) {
	_, rest, ok := strings.Cut(name, "blocks.")
	if ok {
		num, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(num); err == nil {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no block index in %q", name)
}

func isSLSTMName(cfg *model.Config, name string) bool {
	i, err := blockIndex(name)
	return err == nil && i < len(cfg.LM.BlockIsSLSTM) && cfg.LM.BlockIsSLSTM[i]
}

func normal(dst []float32, rng *rand.Rand, std float64) {
	for j := range dst {
		dst[j] = float32(rng.NormFloat64() * std)
	}
}

func fill(dst []float32, v float32) {
	for j := range dst {
		dst[j] = v
	}
}

// linspace is torch.linspace(a, b, len(dst)).
func linspace(dst []float32, a, b float64) {
	n := len(dst)
	for j := range dst {
		if n == 1 {
			dst[j] = float32(a)
			continue
		}
		dst[j] = float32(a + (b-a)*float64(j)/float64(n-1))
	}
}
