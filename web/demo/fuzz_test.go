package demo

import (
	"context"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
)

// FuzzRestore feeds records (saved ones, cut and flipped) to Restore: it
// must return an error or a conversation that continues, never panic.
func FuzzRestore(f *testing.F) {
	d := load(f, bundleFiles(f, modeltest.TinyLM, "F32"))
	gen(f, d, Request{Prompt: "seed", MaxTokens: 4})
	rec, err := d.Save()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rec)
	f.Add(rec[:len(rec)/2])
	f.Add([]byte(recordMagic + "\x02\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := d.Restore(b); err != nil {
			return
		}
		if _, err := d.Generate(context.Background(), Request{Continue: true, MaxTokens: 2}, func(Token) error { return nil }); err != nil {
			t.Fatalf("restored record does not continue: %v", err)
		}
	})
}

// FuzzFiles checks that any manifest text gives a file list or an error.
func FuzzFiles(f *testing.F) {
	f.Add([]byte(`{"format":"xlstm-bundle","version":1}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Files(b)
	})
}
