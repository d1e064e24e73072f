package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/runtime/model"
)

// TestNormalize: official, Hugging Face and wrapped names map to the
// official names; unknown names stay as they are.
func TestNormalize(t *testing.T) {
	dir := testref.Dir(t, filepath.Join("xlstm", "reference", "xlstm_large"))
	large, err := model.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	lmCfg, err := model.ParseConfigYAML(mustReadFile(t, filepath.Join(dir, "..", "mixed", "config.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		cfg      *model.Config
		in, want string
	}{
		{large, "embedding.weight", "embedding.weight"},
		{large, "backbone.embeddings.weight", "embedding.weight"},
		{large, "embeddings.weight", "embedding.weight"},
		{large, "blocks.1.mlstm_layer.query.weight", "backbone.blocks.1.mlstm_layer.q.weight"},
		{large, "out_norm.weight", "backbone.out_norm.weight"},
		{large, "module._orig_mod.backbone.blocks.0.mlstm_layer.value.weight", "backbone.blocks.0.mlstm_layer.v.weight"},
		{large, "model.backbone.blocks.0.mlstm_layer.qkv_opreact.weight", "backbone.blocks.0.mlstm_layer.qkv_opreact.weight"},
		{large, "lm_head.weight", "lm_head.weight"},
		{large, "something.else", "something.else"},
		{lmCfg, "module.token_embedding.weight", "token_embedding.weight"},
		{lmCfg, "model.xlstm_block_stack.blocks.0.xlstm.proj_up.weight", "xlstm_block_stack.blocks.0.xlstm.proj_up.weight"},
		{lmCfg, "xlstm_block_stack.blocks.0.xlstm.mlstm_cell.causal_mask", "xlstm_block_stack.blocks.0.xlstm.mlstm_cell.causal_mask"},
	}
	for _, c := range cases {
		if got := normalize(c.in, knownNames(c.cfg)); got != c.want {
			t.Errorf("normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
