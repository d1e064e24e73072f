package safetensors

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// shardTensors are split across two shards by the tests below.
func shardTensors() (first, second []Tensor) {
	first = []Tensor{
		F32Tensor("embed.weight", []int{2, 2}, []float32{1, 2, 3, 4}),
		F32Tensor("blocks.0.w", []int{3}, []float32{5, 6, 7}),
	}
	second = []Tensor{
		F64Tensor("blocks.1.w", []int{2}, []float64{8, 9}),
		I64Tensor("tokens", []int{2}, []int64{10, 11}),
	}
	return first, second
}

func writeIndex(t *testing.T, dir string, weightMap map[string]string) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 68}, "weight_map": weightMap})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, indexFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkShardSet verifies that s holds exactly the shardTensors.
func checkShardSet(t *testing.T, s *Set) {
	t.Helper()
	want := []string{"blocks.0.w", "blocks.1.w", "embed.weight", "tokens"}
	if got := s.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
	if v, err := s.Float32("embed.weight"); err != nil || !slices.Equal(v, []float32{1, 2, 3, 4}) {
		t.Errorf("embed.weight = %v, %v", v, err)
	}
	if v, err := s.Float32("blocks.1.w"); err != nil || !slices.Equal(v, []float32{8, 9}) {
		t.Errorf("blocks.1.w as float32 = %v, %v", v, err)
	}
	if v, err := s.Float64("blocks.0.w"); err != nil || !slices.Equal(v, []float64{5, 6, 7}) {
		t.Errorf("blocks.0.w as float64 = %v, %v", v, err)
	}
	dst := make([]float64, 2)
	if err := s.ReadFloat64("blocks.1.w", dst); err != nil || !slices.Equal(dst, []float64{8, 9}) {
		t.Errorf("ReadFloat64 = %v, %v", dst, err)
	}
	if v, err := s.Int64("tokens"); err != nil || !slices.Equal(v, []int64{10, 11}) {
		t.Errorf("tokens = %v, %v", v, err)
	}
	if raw, err := s.Raw("tokens"); err != nil || len(raw) != 16 {
		t.Errorf("Raw(tokens) = %d bytes, %v", len(raw), err)
	}
	if info, ok := s.Info("blocks.0.w"); !ok || info.NumElements() != 3 {
		t.Errorf("Info = %+v, %v", info, ok)
	}
	if _, ok := s.Info("nope"); ok {
		t.Error("Info(nope) found")
	}
	if err := s.ReadFloat32("nope", nil); err == nil || !strings.Contains(err.Error(), `no tensor "nope"`) {
		t.Errorf("ReadFloat32(nope) error = %v", err)
	}
	if _, err := s.Float32("tokens"); err == nil || !strings.Contains(err.Error(), `"tokens"`) {
		t.Errorf("Float32(tokens) error = %v", err)
	}
}

func TestOpenDirIndex(t *testing.T) {
	dir := t.TempDir()
	a, b := shardTensors()
	shardA, shardB := "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
	if err := WriteFile(filepath.Join(dir, shardA), a, map[string]string{"format": "pt", "shard": "1"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, shardB), b, map[string]string{"shard": "2", "extra": "x"}); err != nil {
		t.Fatal(err)
	}
	good := map[string]string{"embed.weight": shardA, "blocks.0.w": shardA, "blocks.1.w": shardB, "tokens": shardB}
	writeIndex(t, dir, good)
	s, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkShardSet(t, s)
	if got, want := s.Files(), []string{filepath.Join(dir, shardA), filepath.Join(dir, shardB)}; !slices.Equal(got, want) {
		t.Errorf("Files = %v, want %v", got, want)
	}
	meta := s.Metadata()
	if meta["format"] != "pt" || meta["shard"] != "1" || meta["extra"] != "x" {
		t.Errorf("merged Metadata = %v", meta)
	}
	var r Reader = s
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	// Without the index, the HF shard names are found by pattern.
	os.Remove(filepath.Join(dir, indexFile))
	s, err = OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkShardSet(t, s)
	s.Close()

	bad := []struct {
		name      string
		weightMap map[string]string
		want      []string
	}{
		{"tensor at wrong shard", map[string]string{"embed.weight": shardB, "blocks.0.w": shardA, "blocks.1.w": shardB, "tokens": shardB},
			[]string{`tensor "embed.weight"`, shardB}},
		{"tensor absent from all shards", map[string]string{"ghost": shardA, "embed.weight": shardA, "blocks.0.w": shardA, "blocks.1.w": shardB, "tokens": shardB},
			[]string{`tensor "ghost"`, shardA}},
		{"tensor missing from weight_map", map[string]string{"embed.weight": shardA, "blocks.0.w": shardA, "blocks.1.w": shardB},
			[]string{`tensor "tokens"`, shardB, "missing from weight_map"}},
		{"missing shard file", map[string]string{"embed.weight": "model-00009-of-00009.safetensors"},
			[]string{"model-00009-of-00009.safetensors"}},
		{"path traversal", map[string]string{"embed.weight": "../evil.safetensors"}, []string{`tensor "embed.weight"`, "plain file name"}},
		{"subdirectory", map[string]string{"embed.weight": "sub/x.safetensors"}, []string{"plain file name"}},
		{"backslash", map[string]string{"embed.weight": `sub\x.safetensors`}, []string{"plain file name"}},
		{"absolute", map[string]string{"embed.weight": filepath.Join(dir, shardA)}, []string{"plain file name"}},
		{"empty file name", map[string]string{"embed.weight": ""}, []string{"plain file name"}},
		{"dot dot", map[string]string{"embed.weight": ".."}, []string{"plain file name"}},
		{"empty weight_map", map[string]string{}, []string{"weight_map"}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			writeIndex(t, dir, c.weightMap)
			wantOpenDirError(t, dir, c.want)
		})
	}
	t.Run("only the named files are opened", func(t *testing.T) {
		writeIndex(t, dir, map[string]string{"embed.weight": shardA, "blocks.0.w": shardA})
		s, err := OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got := s.Names(); !slices.Equal(got, []string{"blocks.0.w", "embed.weight"}) {
			t.Errorf("Names = %v", got)
		}
	})
	t.Run("invalid index JSON", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(dir, indexFile), []byte(`{"weight_map": [`), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenDir(dir); err == nil || !strings.Contains(err.Error(), indexFile) {
			t.Errorf("error = %v, want one naming the index", err)
		}
	})
}

func TestOpenDirXLSTMShards(t *testing.T) {
	dir := t.TempDir()
	a, b := shardTensors()
	// Written as shards 0, 1 and (empty) 2..10, so numeric order differs from
	// lexical order (model_10 < model_2 as strings).
	writeTestFile(t, dir, "model_0.safetensors", a...)
	writeTestFile(t, dir, "model_1.safetensors", b...)
	for i := 2; i <= 10; i++ {
		writeTestFile(t, dir, "model_"+itoa(i)+".safetensors")
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644)
	s, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkShardSet(t, s)
	files := s.Files()
	if len(files) != 11 || filepath.Base(files[2]) != "model_2.safetensors" || filepath.Base(files[10]) != "model_10.safetensors" {
		t.Errorf("Files = %v, want numeric order", files)
	}
}

func TestOpenDirShardErrors(t *testing.T) {
	a, b := shardTensors()
	cases := []struct {
		name  string
		files map[string][]Tensor
		want  []string
	}{
		{"empty dir", nil, []string{"no weights found"}},
		{"duplicate tensor", map[string][]Tensor{"model_0.safetensors": a, "model_1.safetensors": append(b, a[0])},
			[]string{`tensor "embed.weight"`, "model_0.safetensors", "model_1.safetensors"}},
		{"gap", map[string][]Tensor{"model_0.safetensors": a, "model_2.safetensors": b}, []string{"missing", "model_0.safetensors", "model_2.safetensors"}},
		{"same number", map[string][]Tensor{"model_1.safetensors": a, "model_01.safetensors": b}, []string{"same number"}},
		{"mixed schemes", map[string][]Tensor{"model_0.safetensors": a, "model-00001-of-00001.safetensors": b}, []string{"model_0.safetensors", "model-00001-of-00001.safetensors"}},
		{"hf incomplete", map[string][]Tensor{"model-00001-of-00003.safetensors": a, "model-00002-of-00003.safetensors": b}, []string{"2 of 3"}},
		{"hf inconsistent", map[string][]Tensor{"model-00001-of-00002.safetensors": a, "model-00002-of-00003.safetensors": b}, []string{"disagree"}},
		{"corrupt shard", map[string][]Tensor{"model_0.safetensors": a, "model_1.safetensors": {{Name: "x", DType: F32, Shape: []int{1}, Data: make([]byte, 4)}}},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, ts := range c.files {
				writeTestFile(t, dir, name, ts...)
			}
			if c.name == "corrupt shard" {
				os.WriteFile(filepath.Join(dir, "model_1.safetensors"), []byte("garbage!garbage"), 0o644)
				c.want = []string{filepath.Join(dir, "model_1.safetensors"), "header"}
			}
			wantOpenDirError(t, dir, c.want)
		})
	}
}

func TestOpenDirSingleAndFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := shardTensors()
	// model.safetensors wins over shard-named files.
	writeTestFile(t, dir, "model.safetensors", append(a, b...)...)
	writeTestFile(t, dir, "model_0.safetensors", F32Tensor("other", []int{1}, []float32{0}))
	s, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkShardSet(t, s)
	if got := s.Files(); len(got) != 1 || filepath.Base(got[0]) != "model.safetensors" {
		t.Errorf("Files = %v", got)
	}
	s.Close()

	if _, err := OpenFiles(); err == nil {
		t.Error("OpenFiles() with no paths succeeded")
	}
	p1 := writeTestFile(t, dir, "x.safetensors", a...)
	p2 := writeTestFile(t, dir, "y.safetensors", a[1])
	if _, err := OpenFiles(p1, p2); err == nil || !strings.Contains(err.Error(), p1) || !strings.Contains(err.Error(), p2) ||
		!strings.Contains(err.Error(), `"blocks.0.w"`) {
		t.Errorf("duplicate error = %v, want one naming the tensor and both files", err)
	}
}

// wantOpenDirError checks that OpenDir(dir) fails with an error mentioning
// every string of want.
func wantOpenDirError(t *testing.T, dir string, want []string) {
	t.Helper()
	s, err := OpenDir(dir)
	if err == nil {
		s.Close()
		t.Fatal("OpenDir succeeded")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}
