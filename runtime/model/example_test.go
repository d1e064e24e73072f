package model_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// writeCheckpoint writes a tiny xLSTM Large checkpoint (config.yaml plus
// model.safetensors with every weight 0.01) into dir.
func writeCheckpoint(dir string) error {
	yaml := "embedding_dim: 16\nnum_heads: 2\nnum_blocks: 1\nvocab_size: 10\nchunk_size: 4\n"
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(yaml), 0o644); err != nil {
		return err
	}
	cfg, err := model.ParseConfigYAML([]byte(yaml))
	if err != nil {
		return err
	}
	specs, err := model.Tensors(cfg)
	if err != nil {
		return err
	}
	var ts []safetensors.Tensor
	for _, s := range specs {
		n := 1
		for _, d := range s.Shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = 0.01
		}
		ts = append(ts, safetensors.F32Tensor(s.Name, s.Shape, v))
	}
	return safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), ts, nil)
}

// Prefill a prompt, then decode step by step; save the state and continue
// from the restored copy.
func Example() {
	dir, err := os.MkdirTemp("", "xlstm-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := writeCheckpoint(dir); err != nil {
		log.Fatal(err)
	}

	m, err := model.Load[float32](dir)
	if err != nil {
		log.Fatal(err)
	}
	st := m.NewState()
	logits := make([]float32, m.Config().VocabSize)
	if err := m.Prefill(st, []int{1, 2, 3}, logits); err != nil {
		log.Fatal(err)
	}
	if err := m.Step(st, 4, logits); err != nil {
		log.Fatal(err)
	}
	saved, err := st.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}
	restored := m.NewState()
	if err := restored.UnmarshalBinary(saved); err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Config().Family, "vocab", len(logits), "position", restored.Pos())
	// Output: xlstm-large vocab 10 position 4
}
