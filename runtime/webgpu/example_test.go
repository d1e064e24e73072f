package webgpu_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/webgpu"
)

// Open a device, upload a bundle (its q8/q4 matrices stay quantised on the
// device) and generate greedily: one submission and a 4-byte read back per
// token.
func Example() {
	ctx := context.Background()
	dev, err := webgpu.Open(ctx)
	if err != nil {
		log.Fatal(err) // no adapter: report it, do not fall back silently
	}
	defer dev.Close()
	fsys := os.DirFS("path/to/bundle")
	b, err := engine.LoadBundle(fsys)
	if err != nil {
		log.Fatal(err)
	}
	e, err := webgpu.NewEngine(dev, b, webgpu.Options{Weights: fsys})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	s, err := e.NewSession()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	prompt, err := engine.PromptTokens(b.Tokenizer, b.Config, "Hello")
	if err != nil {
		log.Fatal(err)
	}
	_, err = engine.Generate(ctx, s, prompt, engine.Options{MaxTokens: 20, EOS: b.Config.EOS},
		func(id int) error { fmt.Print(id, " "); return nil })
	if err != nil {
		log.Fatal(err)
	}
}
