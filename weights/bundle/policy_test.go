package bundle

import "testing"

// TestPolicy documents the dtype chosen per tensor kind.
func TestPolicy(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		dtype string
		want  string
	}{
		{"lm_head.weight", []int{128, 64}, "q4", "Q4"},
		{"embedding.weight", []int{128, 64}, "q4", "Q8"},
		{"token_embedding.weight", []int{128, 64}, "q8", "Q8"},
		{"backbone.blocks.0.mlstm_layer.igate_preact.weight", []int{4, 64}, "q4", "F16"},
		{"x.mlstm_cell.fgate.weight", []int{4, 384}, "q8", "F16"},
		{"x.q_proj.weight", []int{32, 4, 4}, "q4", "F16"},
		{"x.proj_down.weight", []int{64, 96}, "q4", "F16"}, // 96 is not a multiple of 64
		{"x.norm.weight", []int{64}, "q4", "F32"},
		{"x.proj_up.weight", []int{256, 64}, "bf16", "BF16"},
		{"x.norm.weight", []int{64}, "f16", "F32"},
		{"x.proj_up.weight", []int{256, 64}, "f32", "F32"},
	}
	for _, c := range cases {
		if got, _ := Policy(c.name, c.shape, c.dtype, 64); got != c.want {
			t.Errorf("Policy(%s %v, %s) = %s, want %s", c.name, c.shape, c.dtype, got, c.want)
		}
	}
}
