package bundle_test

import (
	"encoding/binary"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/xlstm-go/xlstm/weights/bundle"
)

// Write a bundle with one F32 tensor, then read it back.
func Example() {
	dir := filepath.Join(os.TempDir(), "example-bundle")
	defer os.RemoveAll(dir)
	w, err := bundle.Create(dir, bundle.Model{Family: "xlstm-lm", ConfigFormat: "yaml", Config: "vocab_size: 2\n"},
		bundle.Options{Force: true})
	if err != nil {
		log.Fatal(err)
	}
	payload := make([]byte, 4*4)
	for i, v := range []float32{1, 2, 3, 4} {
		binary.LittleEndian.PutUint32(payload[4*i:], math.Float32bits(v))
	}
	if err := w.Add("lm_head.weight", bundle.F32, []int{2, 2}, 0, payload); err != nil {
		log.Fatal(err)
	}
	if err := w.SetTokenizer(&bundle.Tokenizer{Type: "byte"}); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil { // writes the manifest, renames into place
		log.Fatal(err)
	}

	r, err := bundle.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	if err := r.Verify(); err != nil { // every shard's sha256
		log.Fatal(err)
	}
	got := make([]float32, 4)
	if err := r.ReadFloat32("lm_head.weight", got); err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Names(), got, r.Manifest().Tokenizer.Type, len(r.Manifest().Shards))
	// Output: [lm_head.weight] [1 2 3 4] byte 1
}
