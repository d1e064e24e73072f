// Package refio reads the reference data's safetensors files in tests: it
// opens them (closed when the test ends) and turns the recorded token
// batch into rows of ids. It is separate from testref so that
// weights/safetensors's own tests can still use testref.
package refio

import (
	"testing"

	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// Open opens a safetensors file for the rest of the test, failing it on error.
func Open(t testing.TB, path string) *safetensors.File {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Tokens reads the 2-D int64 tensor "tokens" of an io.safetensors file as
// B rows of S ids.
func Tokens(t testing.TB, io *safetensors.File) [][]int {
	t.Helper()
	info, ok := io.Info("tokens")
	if !ok || len(info.Shape) != 2 {
		t.Fatal("io.safetensors: tokens missing or not 2-D")
	}
	flat, err := io.Int64("tokens")
	if err != nil {
		t.Fatal(err)
	}
	b, s := info.Shape[0], info.Shape[1]
	rows := make([][]int, b)
	for i := range rows {
		rows[i] = make([]int, s)
		for j := range rows[i] {
			rows[i][j] = int(flat[i*s+j])
		}
	}
	return rows
}
