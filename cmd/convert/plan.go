package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/checkpoint"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// item is one tensor of the output bundle, under its official name, and
// where its data comes from.
type item struct {
	name  string
	shape []int
	// parts are row ranges of source tensors, concatenated along the first
	// dimension (one whole tensor in the common case; several when fusing,
	// a slice when splitting fused weights).
	parts []part
	// permute, when set, re-orders the whole tensor (small tensors only:
	// the sLSTM cuda → vanilla layout).
	permute func([]float32) []float32
	dtype   string // bundle dtype
	group   int    // Q8/Q4 group
}

// part is rows [row0, row0+rows) of the source tensor src, each rowLen
// elements long.
type part struct {
	src              string
	row0, rows, rlen int
}

// elements returns the item's element count.
func (it *item) elements() int {
	n := 1
	for _, d := range it.shape {
		n *= d
	}
	return n
}

// wrapperPrefixes are added to tensor names by training wrappers:
// DataParallel, torch.compile, Lightning-style modules.
var wrapperPrefixes = []string{"module.", "_orig_mod.", "model."}

// candidates lists the official names a source tensor name may stand for,
// most literal first: the name itself, without wrapper prefixes, with the
// Hugging Face transformers names mapped (backbone.embeddings → embedding,
// mlstm_layer.query/key/value → q/k/v, SPEC §8.4) and, for a bare
// transformers xLSTMModel, with the backbone. prefix added.
func candidates(name string) []string {
	forms := []string{name}
	for i := 0; i < len(forms) && len(forms) < 16; i++ {
		for _, p := range wrapperPrefixes {
			if strings.HasPrefix(forms[i], p) {
				forms = append(forms, forms[i][len(p):])
			}
		}
	}
	var out []string
	for _, f := range forms {
		out = append(out, f, hfToOfficial(f), hfToOfficial("backbone."+f))
	}
	return out
}

// hfToOfficial renames transformers' xLSTM names to the official ones.
func hfToOfficial(name string) string {
	switch name {
	case "backbone.embeddings.weight", "backbone.embedding.weight":
		return "embedding.weight"
	}
	for _, r := range [][2]string{
		{".mlstm_layer.query.", ".mlstm_layer.q."},
		{".mlstm_layer.key.", ".mlstm_layer.k."},
		{".mlstm_layer.value.", ".mlstm_layer.v."},
	} {
		name = strings.Replace(name, r[0], r[1], 1)
	}
	return name
}

// knownNames lists every official name a checkpoint for cfg may hold: the
// config's tensors in both xLSTM Large weight modes, and the LM head.
func knownNames(cfg *model.Config) map[string]bool {
	known := map[string]bool{"lm_head.weight": true}
	c := *cfg
	for _, mode := range []string{"single", "fused"} {
		if cfg.Family == model.FamilyLarge {
			c.Large.WeightMode = mode
		}
		specs, err := model.Tensors(&c)
		if err != nil {
			continue
		}
		for _, s := range specs {
			known[s.Name] = true
		}
	}
	return known
}

// normalize picks the official name of a source tensor: the first
// candidate the config knows, else the name itself (which is then reported
// as unexpected, or ignored for buffers).
func normalize(name string, known map[string]bool) string {
	for _, c := range candidates(name) {
		if known[c] {
			return c
		}
	}
	return name
}

// ignorable source tensors are buffers the math does not use.
func ignorable(name string) bool {
	return strings.HasSuffix(name, ".causal_mask")
}

// fusion is one fused xLSTM Large tensor and the single-mode tensors it
// concatenates along rows (SPEC §8.3).
type fusion struct {
	fused  string
	pieces []string
	rows   []int
}

func fusions(c *model.Config) []fusion {
	g := c.Large
	return []fusion{
		{"mlstm_layer.qkv_opreact", []string{"mlstm_layer.q", "mlstm_layer.k", "mlstm_layer.v", "mlstm_layer.ogate_preact"}, []int{g.QKDim, g.QKDim, g.VDim, g.VDim}},
		{"mlstm_layer.ifgate_preact", []string{"mlstm_layer.igate_preact", "mlstm_layer.fgate_preact"}, []int{g.NumHeads, g.NumHeads}},
		{"ffn.proj_up_gate_z", []string{"ffn.proj_up_gate", "ffn.proj_up"}, []int{g.FFNDim, g.FFNDim}},
	}
}

// planner matches a checkpoint's tensors to the tensors a config needs.
type planner struct {
	cfg   *model.Config
	src   checkpoint.Source
	canon map[string]string // official name → source name
	used  map[string]bool   // source names consumed
	errs  []string
}

// makePlan lists the output tensors in load order, with their sources,
// output dtypes and groups; every missing, mis-shaped, non-float or
// unexpected tensor is reported (one line, naming them).
func makePlan(cfg *model.Config, src checkpoint.Source, dtype string, group int) ([]item, error) {
	specs, err := model.Tensors(cfg)
	if err != nil {
		return nil, err
	}
	p := &planner{cfg: cfg, src: src, canon: map[string]string{}, used: map[string]bool{}}
	known := knownNames(cfg)
	for _, n := range src.Names() {
		c := normalize(n, known)
		if prev, dup := p.canon[c]; dup {
			return nil, fmt.Errorf("tensors %q and %q both map to %q", prev, n, c)
		}
		p.canon[c] = n
	}
	var items []item
	for _, s := range specs {
		it, ok := p.resolve(s)
		if !ok {
			continue
		}
		it.dtype, it.group = bundle.Policy(s.Name, s.Shape, dtype, group)
		items = append(items, it)
	}
	p.slstmLayouts(items)
	tiedHead := (cfg.Family == model.FamilyLM && cfg.LM.TieWeights) || (cfg.Family == model.FamilyLarge && cfg.Large.TieWordEmbeddings)
	var extra []string
	for c, n := range p.canon {
		if !p.used[n] && !ignorable(c) && !(tiedHead && c == "lm_head.weight") {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	for _, n := range extra {
		info, _ := src.Info(n)
		p.errs = append(p.errs, fmt.Sprintf("unexpected tensor %q %v (not in the config's model)", n, info.Shape))
	}
	if len(p.errs) > 0 {
		msg := p.errs[0]
		if len(p.errs) > 1 {
			shown := p.errs[:min(len(p.errs), 4)]
			msg = fmt.Sprintf("%d problems: %s", len(p.errs), strings.Join(shown, "; "))
			if len(p.errs) > len(shown) {
				msg += "; ..."
			}
		}
		return nil, fmt.Errorf("checkpoint does not match the config: %s", msg)
	}
	return items, nil
}

// resolve finds the source of one official tensor: itself, a row range of a
// fused tensor, or the concatenation of single-mode tensors.
func (p *planner) resolve(s model.TensorSpec) (item, bool) {
	it := item{name: s.Name, shape: slices.Clone(s.Shape)}
	if n, ok := p.canon[s.Name]; ok {
		p.used[n] = true // reported below if wrong, never as unexpected
		info, _ := p.src.Info(n)
		if !p.checkFloat(n, info.DType) {
			return it, false
		}
		if !slices.Equal(info.Shape, s.Shape) && !p.slstmCudaShape(s, info.Shape) {
			p.errs = append(p.errs, fmt.Sprintf("tensor %q has shape %v, want %v", n, info.Shape, s.Shape))
			return it, false
		}
		rows, rlen := rowsOf(info.Shape)
		it.parts = []part{{src: n, rows: rows, rlen: rlen}}
		return it, true
	}
	if p.cfg.Family == model.FamilyLarge {
		if parts, ok := p.fromFusion(s); ok {
			it.parts = parts
			return it, true
		}
	}
	p.errs = append(p.errs, fmt.Sprintf("missing tensor %q (want shape %v)", s.Name, s.Shape))
	return it, false
}

// checkFloat records an error unless dt is a float (or quantised) dtype.
func (p *planner) checkFloat(name string, dt safetensors.DType) bool {
	switch dt {
	case safetensors.F32, safetensors.F16, safetensors.BF16, safetensors.F64, bundle.Q8, bundle.Q4:
		return true
	}
	p.errs = append(p.errs, fmt.Sprintf("tensor %q has dtype %v, not a float type", name, dt))
	return false
}

// rowsOf splits a shape into rows (first dim) and row length.
func rowsOf(shape []int) (rows, rlen int) {
	if len(shape) == 0 {
		return 1, 1
	}
	rlen = 1
	for _, d := range shape[1:] {
		rlen *= d
	}
	return shape[0], rlen
}

// fromFusion builds s from fused or single-mode source tensors.
func (p *planner) fromFusion(s model.TensorSpec) ([]part, bool) {
	// s.Name is "backbone.blocks.<i>.<module>.<weight|bias>".
	dot := strings.LastIndexByte(s.Name, '.')
	if dot < 0 {
		return nil, false
	}
	leaf := s.Name[dot:]
	for _, f := range fusions(p.cfg) {
		// Single-mode s taken from a fused source.
		for j, piece := range f.pieces {
			if !strings.HasSuffix(s.Name, "."+piece+leaf) {
				continue
			}
			prefix := strings.TrimSuffix(s.Name, piece+leaf)
			n, ok := p.canon[prefix+f.fused+leaf]
			if !ok {
				return nil, false
			}
			p.used[n] = true
			info, _ := p.src.Info(n)
			total := 0
			for _, r := range f.rows {
				total += r
			}
			_, rlen := rowsOf(info.Shape)
			want := append([]int{total}, s.Shape[1:]...)
			if !p.checkFloat(n, info.DType) {
				return nil, true
			}
			if !slices.Equal(info.Shape, want) {
				p.errs = append(p.errs, fmt.Sprintf("tensor %q has shape %v, want %v", n, info.Shape, want))
				return nil, true
			}
			row0 := 0
			for _, r := range f.rows[:j] {
				row0 += r
			}
			return []part{{src: n, row0: row0, rows: f.rows[j], rlen: rlen}}, true
		}
		// Fused s built from single-mode sources.
		if strings.HasSuffix(s.Name, "."+f.fused+leaf) {
			prefix := strings.TrimSuffix(s.Name, f.fused+leaf)
			var parts []part
			for j, piece := range f.pieces {
				n, ok := p.canon[prefix+piece+leaf]
				if !ok {
					return nil, false
				}
				p.used[n] = true
				info, _ := p.src.Info(n)
				want := append([]int{f.rows[j]}, s.Shape[1:]...)
				if !p.checkFloat(n, info.DType) {
					return nil, true
				}
				if !slices.Equal(info.Shape, want) {
					p.errs = append(p.errs, fmt.Sprintf("tensor %q has shape %v, want %v", n, info.Shape, want))
					return nil, true
				}
				_, rlen := rowsOf(info.Shape)
				parts = append(parts, part{src: n, rows: f.rows[j], rlen: rlen})
			}
			return parts, true
		}
	}
	return nil, false
}

// slstmCudaShape reports whether shape is the cuda-backend layout of an
// sLSTM recurrent kernel (NH, DH, 4DH) where spec wants vanilla (SPEC §5.3).
func (p *planner) slstmCudaShape(s model.TensorSpec, shape []int) bool {
	if !strings.HasSuffix(s.Name, ".slstm_cell._recurrent_kernel_") || len(s.Shape) != 3 {
		return false
	}
	return slices.Equal(shape, []int{s.Shape[0], s.Shape[2], s.Shape[1]})
}

// slstmLayouts re-orders cuda-layout sLSTM kernels and their biases into
// the vanilla layout that every loader reads.
func (p *planner) slstmLayouts(items []item) {
	byName := map[string]*item{}
	for i := range items {
		byName[items[i].name] = &items[i]
	}
	for i := range items {
		it := &items[i]
		if !strings.HasSuffix(it.name, ".slstm_cell._recurrent_kernel_") || len(it.parts) != 1 {
			continue
		}
		info, _ := p.src.Info(it.parts[0].src)
		if slices.Equal(info.Shape, it.shape) {
			continue
		}
		nh, dh := it.shape[0], it.shape[2]
		it.permute = func(r []float32) []float32 { return model.SLSTMCudaToVanillaR(r, nh, dh) }
		it.parts[0].rows, it.parts[0].rlen = rowsOf(info.Shape)
		if b, ok := byName[strings.TrimSuffix(it.name, "_recurrent_kernel_")+"_bias_"]; ok {
			b.permute = func(v []float32) []float32 { return model.SLSTMCudaToVanillaBias(v, nh, dh) }
		}
	}
}
