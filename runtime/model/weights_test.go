package model

import (
	"slices"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// TestWeightErrors: missing, unexpected and mis-shaped tensors are errors
// naming the tensor.
func TestWeightErrors(t *testing.T) {
	cfg := mustParseYAML(t, testConfigs["lm-mixed-bias-tied"])
	missing := "xlstm_block_stack.blocks.1.xlstm.mlstm_cell.igate.bias"
	misshaped := "xlstm_block_stack.blocks.0.xlstm.zgate.weight"
	cases := []struct {
		name   string
		mutate func(*memSource)
		want   []string
	}{
		{"missing", func(s *memSource) { s.del(missing) }, []string{"missing tensor", missing}},
		{"extra", func(s *memSource) { s.put("foo.bar", []int{2}, []float64{1, 2}) }, []string{"unexpected tensor", "foo.bar"}},
		{"misshaped", func(s *memSource) { s.put(misshaped, []int{2, 8, 2}, make([]float64, 32)) }, []string{misshaped, "shape [2 8 2]"}},
	}
	for _, c := range cases {
		src := randomSource(t, cfg, 1)
		c.mutate(src)
		_, err := New[float32](cfg, src)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
}

// TestSLSTMCudaLayout: a checkpoint in the sLSTM cuda backend's layout
// (SPEC §5.3) gives the same logits as the vanilla one.
func TestSLSTMCudaLayout(t *testing.T) {
	cfg := mustParseYAML(t, testConfigs["lm-mixed-bias-tied"])
	van := randomSource(t, cfg, 2)
	cuda := randomSource(t, cfg, 2)
	nh, dh := cfg.LM.SLSTM.NumHeads, cfg.LM.SLSTM.HeadDim
	for _, name := range van.Names() {
		switch {
		case strings.HasSuffix(name, "_recurrent_kernel_"):
			r := van.data[name] // vanilla (NH, 4DH, DH) → cuda (NH, DH, 4DH)
			out := make([]float64, len(r))
			for h := 0; h < nh; h++ {
				for gj := 0; gj < 4*dh; gj++ {
					for k := 0; k < dh; k++ {
						out[h*dh*4*dh+k*4*dh+gj] = r[h*4*dh*dh+gj*dh+k]
					}
				}
			}
			cuda.put(name, []int{nh, dh, 4 * dh}, out)
		case strings.HasSuffix(name, "_bias_"):
			b := van.data[name] // gate-major → head-major
			out := make([]float64, len(b))
			for h := 0; h < nh; h++ {
				for g := 0; g < 4; g++ {
					for j := 0; j < dh; j++ {
						out[h*4*dh+g*dh+j] = b[g*nh*dh+h*dh+j]
					}
				}
			}
			cuda.put(name, []int{4 * nh * dh}, out)
		}
	}
	toks := randomTokens(9, cfg.VocabSize, 3)
	a, err := mustModel[float64](t, cfg, van).Forward(toks)
	if err != nil {
		t.Fatal(err)
	}
	b, err := mustModel[float64](t, cfg, cuda).Forward(toks)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("logit %d: vanilla %v, cuda layout %v", i, a[i], b[i])
		}
	}
}

// TestTensorsMatchReference: the canonical tensor list of each reference
// config is exactly the reference checkpoint's, names and shapes.
func TestTensorsMatchReference(t *testing.T) {
	for _, name := range testref.ReferenceSets() {
		r := openRef(t, name)
		cfg, err := LoadConfig(r.dir)
		if err != nil {
			t.Fatal(err)
		}
		specs, err := Tensors(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ckpt, err := safetensors.OpenDir(r.dir)
		if err != nil {
			t.Fatal(err)
		}
		names := ckpt.Names()
		if len(specs) != len(names) {
			t.Errorf("%s: %d tensors listed, checkpoint has %d", name, len(specs), len(names))
		}
		for _, sp := range specs {
			info, ok := ckpt.Info(sp.Name)
			if !ok {
				t.Errorf("%s: listed tensor %q not in the checkpoint", name, sp.Name)
			} else if !slices.Equal(info.Shape, sp.Shape) {
				t.Errorf("%s: %q listed as %v, checkpoint %v", name, sp.Name, sp.Shape, info.Shape)
			}
		}
		ckpt.Close()
	}
}
