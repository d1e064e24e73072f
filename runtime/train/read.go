package train

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// readTensor reads one parameter from src into dst, accepting the layouts
// and aliases model.New accepts (sLSTM cuda layout, Hugging Face names).
func readTensor(cfg *model.Config, src model.Source, s model.TensorSpec, dst []float32) error {
	name := s.Name
	if _, ok := src.Info(name); !ok {
		for _, alias := range aliases(name) {
			if _, ok := src.Info(alias); ok {
				name = alias
				break
			}
		}
	}
	info, ok := src.Info(name)
	if !ok {
		return fmt.Errorf("missing tensor %q (want shape %v)", s.Name, s.Shape)
	}
	if cfg.Family == model.FamilyLM && strings.HasSuffix(name, "slstm_cell._recurrent_kernel_") {
		nh, dh := cfg.LM.SLSTM.NumHeads, cfg.LM.SLSTM.HeadDim
		if slices.Equal(info.Shape, []int{nh, dh, 4 * dh}) && dh != 4*dh {
			// The cuda layout (SPEC §5.3); its bias is re-ordered alongside.
			tmp := make([]float32, len(dst))
			if err := src.ReadFloat32(name, tmp); err != nil {
				return fmt.Errorf("read tensor %q: %w", name, err)
			}
			copy(dst, model.SLSTMCudaToVanillaR(tmp, nh, dh))
			return nil
		}
	}
	if cfg.Family == model.FamilyLM && strings.HasSuffix(name, "slstm_cell._bias_") {
		nh, dh := cfg.LM.SLSTM.NumHeads, cfg.LM.SLSTM.HeadDim
		rName := strings.TrimSuffix(name, "_bias_") + "_recurrent_kernel_"
		if ri, ok := src.Info(rName); ok && slices.Equal(ri.Shape, []int{nh, dh, 4 * dh}) {
			if !slices.Equal(info.Shape, s.Shape) {
				return fmt.Errorf("tensor %q has shape %v, want %v", name, info.Shape, s.Shape)
			}
			tmp := make([]float32, len(dst))
			if err := src.ReadFloat32(name, tmp); err != nil {
				return fmt.Errorf("read tensor %q: %w", name, err)
			}
			copy(dst, model.SLSTMCudaToVanillaBias(tmp, nh, dh))
			return nil
		}
	}
	if !slices.Equal(info.Shape, s.Shape) {
		return fmt.Errorf("tensor %q has shape %v, want %v", name, info.Shape, s.Shape)
	}
	if err := src.ReadFloat32(name, dst); err != nil {
		return fmt.Errorf("read tensor %q: %w", name, err)
	}
	return nil
}

// aliases lists the Hugging Face spellings of an official xLSTM Large name.
func aliases(name string) []string {
	switch {
	case name == "embedding.weight":
		return []string{"backbone.embeddings.weight", "backbone.embedding.weight"}
	case strings.HasSuffix(name, "mlstm_layer.q.weight"), strings.HasSuffix(name, "mlstm_layer.q.bias"):
		return []string{strings.Replace(name, "mlstm_layer.q.", "mlstm_layer.query.", 1)}
	case strings.HasSuffix(name, "mlstm_layer.k.weight"), strings.HasSuffix(name, "mlstm_layer.k.bias"):
		return []string{strings.Replace(name, "mlstm_layer.k.", "mlstm_layer.key.", 1)}
	case strings.HasSuffix(name, "mlstm_layer.v.weight"), strings.HasSuffix(name, "mlstm_layer.v.bias"):
		return []string{strings.Replace(name, "mlstm_layer.v.", "mlstm_layer.value.", 1)}
	}
	return nil
}
