package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	dir := t.TempDir()
	native := filepath.Join(dir, "native.txt")
	wasm := filepath.Join(dir, "wasm.txt")
	writeFile(t, native, `cpu: Test CPU
BenchmarkDecodeBenchSmall-2   	 100	  500 ns/op	 1000 tok/s	 0 B/op	 0 allocs/op
BenchmarkDecodeBenchSmall-2   	 100	  500 ns/op	 3000 tok/s	 0 B/op	 0 allocs/op
BenchmarkDecodeBenchSmall-2   	 100	  500 ns/op	 2000 tok/s	 0 B/op	 0 allocs/op
BenchmarkDecodeBenchLarge-2   	 10	  500 ns/op	 100 tok/s	 0 B/op	 0 allocs/op
BenchmarkDecodeBenchLarge2T-2 	 10	  500 ns/op	 170 tok/s	 0 B/op	 1 allocs/op
BenchmarkDecodeBenchLargeQ8-2 	 50	  500 ns/op	 450 tok/s	 0 B/op	 0 allocs/op
`)
	writeFile(t, wasm, "BenchmarkDecodeBenchSmall \t 10\t 5 ns/op\t 400 tok/s\n")
	var out strings.Builder
	if err := run([]string{"-native", native, "-wasm", wasm}, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"| bench-small decode tok/s | 229 | ≥ 3,500 | 2000 (3 runs) |",
		"| bench-small full sequence S=256 tok/s | 760 | ≥ 8,000 | not run |",
		"| bench-small decode in Go-wasm under Node tok/s | (229 native) | ≥ 300 | 400 (1 runs) |",
		"| decode with 2 threads vs 1 (bench-large) | | ≥ 1.6× | 1.70× |",
		"| bench-large decode q8 tok/s | — | ≥ 400 | 450 (1 runs) |",
		"| bench-large decode q4 tok/s | — | ≥ 600 | not run |",
		"| allocations per decoded token after warm-up | | 0 | 1 |",
		"Machine: Test CPU.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if err := run([]string{"-native", filepath.Join(dir, "missing.txt")}, &out); err == nil {
		t.Error("a missing input file gave no error")
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
