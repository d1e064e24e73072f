package model

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// TestHFNamesAndShards: the xlstm_large reference weights renamed to the
// Hugging Face names, split into shards with a model.safetensors.index.json
// and described by an HF-style config.json load through Load and give the
// official logits.
func TestHFNamesAndShards(t *testing.T) {
	r := openRef(t, "xlstm_large")
	src, err := safetensors.Open(filepath.Join(r.dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dir := t.TempDir()
	shards := [][]safetensors.Tensor{nil, nil}
	weightMap := map[string]string{}
	for i, name := range src.Names() {
		info, _ := src.Info(name)
		v, err := src.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		hf := strings.Replace(name, "embedding.weight", "backbone.embeddings.weight", 1)
		k := i % 2
		shards[k] = append(shards[k], safetensors.F32Tensor(hf, info.Shape, v))
		weightMap[hf] = fmt.Sprintf("model-%05d-of-00002.safetensors", k+1)
	}
	for k, ts := range shards {
		if err := safetensors.WriteFile(filepath.Join(dir, fmt.Sprintf("model-%05d-of-00002.safetensors", k+1)), ts, nil); err != nil {
			t.Fatal(err)
		}
	}
	index, _ := json.Marshal(map[string]any{"metadata": map[string]any{}, "weight_map": weightMap})
	cfg := map[string]any{
		"architectures": []string{"xLSTMForCausalLM"}, "model_type": "xlstm",
		"hidden_size": 64, "num_hidden_layers": 2, "num_heads": 4, "vocab_size": 128,
		"chunk_size": 16, "ffn_proj_factor": 2.6667, "qk_dim_factor": 0.5, "v_dim_factor": 1.0,
		"gate_soft_cap": 15.0, "output_logit_soft_cap": 30.0, "use_bias": false,
		"tie_word_embeddings": false, "eos_token_id": 2, "bos_token_id": 0, "pad_token_id": 1,
		"torch_dtype": "float32",
	}
	cfgJSON, _ := json.Marshal(cfg)
	for name, data := range map[string][]byte{"model.safetensors.index.json": index, "config.json": cfgJSON} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Load[float32](dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.cfg.EOS != 2 {
		t.Errorf("EOS %d, want 2 from eos_token_id", m.cfg.EOS)
	}
	e := maxAbs(t, forwardAll(t, m, r), r.want(t, "logits_chunkwise"))
	if e > tol32 {
		t.Errorf("HF names and shards: max abs %.3e > %.0e", e, tol32)
	}
}
