package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/xlstm-go/xlstm/weights/safetensors"
)

func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "safetensors-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "io.safetensors")

	err = safetensors.WriteFile(path, []safetensors.Tensor{
		safetensors.I64Tensor("tokens", []int{1, 3}, []int64{5, 7, 11}),
		safetensors.F32Tensor("logits", []int{1, 3, 2}, []float32{0.5, -1, 2, 0.25, 3, -4}),
	}, map[string]string{"source": "example"})
	if err != nil {
		log.Fatal(err)
	}

	f, err := safetensors.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	for _, name := range f.Names() {
		info, _ := f.Info(name)
		fmt.Println(name, info.DType, info.Shape)
	}
	logits, err := f.Float64("logits") // F32 widens exactly
	if err != nil {
		log.Fatal(err)
	}
	tokens, err := f.Int64("tokens")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tokens, logits, f.Metadata()["source"])
	// Output:
	// logits F32 [1 3 2]
	// tokens I64 [1 3]
	// [5 7 11] [0.5 -1 2 0.25 3 -4] example
}
