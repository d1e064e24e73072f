package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func roundTripTensors() ([]float32, []float64, []int64, []Tensor) {
	f32 := []float32{0, 1, -2.5, float32(math.Inf(1)), float32(math.Inf(-1)), math.SmallestNonzeroFloat32, math.MaxFloat32,
		math.Float32frombits(0x7fc00001), math.Float32frombits(0x80000000)}
	f64 := []float64{math.Pi, -math.E, math.SmallestNonzeroFloat64, math.MaxFloat64, math.Inf(-1),
		math.Float64frombits(0x7ff8000000000123)}
	i64 := []int64{0, -1, math.MinInt64, math.MaxInt64, 42, 127}
	tensors := []Tensor{
		F64Tensor("b.f64", []int{2, 3}, f64),
		F32Tensor("a.f32", []int{3, 3}, f32),
		I64Tensor("c.i64", []int{6}, i64),
		F32Tensor("d.scalar", nil, []float32{7}),
		F32Tensor("e.empty", []int{0, 4}, nil),
	}
	return f32, f64, i64, tensors
}

func TestRoundTrip(t *testing.T) {
	f32, f64, i64, tensors := roundTripTensors()
	dir := t.TempDir()
	path := filepath.Join(dir, "rt.safetensors")
	meta := map[string]string{"format": "pt", "note": `quotes " and <html>`}
	if err := WriteFile(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	if got := dirEntries(t, dir); !reflect.DeepEqual(got, []string{"rt.safetensors"}) {
		t.Errorf("directory holds %v, want only the file", got)
	}
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(buf)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	if h := string(buf[8 : 8+n]); !strings.HasPrefix(h, "{") || !strings.HasSuffix(strings.TrimRight(h, " "), "}") {
		t.Errorf("header %q is not a JSON object padded with spaces", h)
	}

	// Encode to memory gives the same bytes as WriteFile.
	var mem bytes.Buffer
	if err := Encode(&mem, tensors, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mem.Bytes(), buf) {
		t.Error("Encode and WriteFile produced different bytes")
	}

	opened, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	parsed, err := Parse(buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    *File
	}{{"Open", opened}, {"Parse", parsed}} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			wantNames := []string{"a.f32", "b.f64", "c.i64", "d.scalar", "e.empty"}
			if got := f.Names(); !reflect.DeepEqual(got, wantNames) {
				t.Errorf("Names = %v, want %v", got, wantNames)
			}
			if got := f.Metadata(); !reflect.DeepEqual(got, meta) {
				t.Errorf("Metadata = %v, want %v", got, meta)
			}
			gotF32, err := f.Float32("a.f32")
			if err != nil {
				t.Fatal(err)
			}
			for i := range f32 {
				if math.Float32bits(gotF32[i]) != math.Float32bits(f32[i]) {
					t.Errorf("a.f32[%d] = %#x, want %#x", i, math.Float32bits(gotF32[i]), math.Float32bits(f32[i]))
				}
			}
			gotF64, err := f.Float64("b.f64")
			if err != nil {
				t.Fatal(err)
			}
			for i := range f64 {
				if math.Float64bits(gotF64[i]) != math.Float64bits(f64[i]) {
					t.Errorf("b.f64[%d] = %#x, want %#x", i, math.Float64bits(gotF64[i]), math.Float64bits(f64[i]))
				}
			}
			// F32 widened to F64 is exact.
			wide, err := f.Float64("a.f32")
			if err != nil {
				t.Fatal(err)
			}
			for i := range f32 {
				if w := float64(f32[i]); wide[i] != w && !(math.IsNaN(w) && math.IsNaN(wide[i])) {
					t.Errorf("Float64(a.f32)[%d] = %v, want %v", i, wide[i], w)
				}
			}
			gotI64, err := f.Int64("c.i64")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gotI64, i64) {
				t.Errorf("c.i64 = %v, want %v", gotI64, i64)
			}
			info, ok := f.Info("b.f64")
			if !ok || info.DType != F64 || !slices.Equal(info.Shape, []int{2, 3}) || info.NumElements() != 6 || info.Size != 48 {
				t.Errorf("Info(b.f64) = %+v, %v", info, ok)
			}
			s, err := f.Float32("d.scalar")
			if err != nil || len(s) != 1 || s[0] != 7 {
				t.Errorf("scalar = %v, %v", s, err)
			}
			if info, _ := f.Info("d.scalar"); info.NumElements() != 1 || len(info.Shape) != 0 {
				t.Errorf("scalar info %+v", info)
			}
			e, err := f.Float32("e.empty")
			if err != nil || len(e) != 0 {
				t.Errorf("empty = %v, %v", e, err)
			}
		})
	}
	if err := opened.Close(); err != nil {
		t.Fatal(err)
	}
	if err := opened.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := opened.Raw("a.f32"); err == nil {
		t.Error("Raw after Close succeeded")
	}
}

func TestReadErrors(t *testing.T) {
	_, _, _, tensors := roundTripTensors()
	var buf bytes.Buffer
	if err := Encode(&buf, tensors, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what string
		err  error
		want []string
	}{
		{"unknown name", f.ReadFloat32("nope", nil), []string{`no tensor "nope"`}},
		{"unknown name Raw", func() error { _, err := f.Raw("nope"); return err }(), []string{`"nope"`}},
		{"int as float", f.ReadFloat32("c.i64", make([]float32, 6)), []string{`"c.i64"`, "I64"}},
		{"int as float64", func() error { _, err := f.Float64("c.i64"); return err }(), []string{`"c.i64"`, "I64"}},
		{"float as int", func() error { _, err := f.Int64("a.f32"); return err }(), []string{`"a.f32"`, "F32"}},
		{"wrong dst length", f.ReadFloat64("b.f64", make([]float64, 5)), []string{`"b.f64"`, "6", "5"}},
	}
	for _, c := range checks {
		if c.err == nil {
			t.Errorf("%s: no error", c.what)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(c.err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.what, c.err, w)
			}
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	ok := F32Tensor("x", []int{2}, []float32{1, 2})
	cases := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    string
	}{
		{"duplicate", []Tensor{ok, ok}, nil, `duplicate tensor name "x"`},
		{"empty name", []Tensor{{DType: F32, Shape: []int{0}}}, nil, "empty name"},
		{"reserved name", []Tensor{{Name: "__metadata__", DType: F32, Shape: []int{0}}}, nil, "reserved"},
		{"bad utf8 name", []Tensor{{Name: "a\xff", DType: F32, Shape: []int{0}}}, nil, "UTF-8"},
		{"unknown dtype", []Tensor{{Name: "y", DType: "F8", Shape: []int{1}, Data: []byte{0}}}, nil, `"F8"`},
		{"negative dim", []Tensor{{Name: "y", DType: F32, Shape: []int{-1}}}, nil, "negative"},
		{"overflow", []Tensor{{Name: "y", DType: F64, Shape: []int{math.MaxInt, math.MaxInt, math.MaxInt}}}, nil, "overflow"},
		{"short data", []Tensor{{Name: "y", DType: F32, Shape: []int{2}, Data: make([]byte, 7)}}, nil, `"y": data is 7 bytes`},
		{"bad utf8 metadata", []Tensor{ok}, map[string]string{"k": "\xfe"}, "metadata"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, c.tensors, c.meta)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Encode error = %v, want it to mention %q", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Encode wrote %d bytes before failing", buf.Len())
			}
			dir := t.TempDir()
			err = WriteFile(filepath.Join(dir, "out.safetensors"), c.tensors, c.meta)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("WriteFile error = %v, want it to mention %q", err, c.want)
			}
			if got := dirEntries(t, dir); len(got) != 0 {
				t.Errorf("failed WriteFile left %v behind", got)
			}
		})
	}
}

// A write that fails after validation (here: no such directory) must not
// leave a temp file either.
func TestWriteFileBadDirLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	err := WriteFile(filepath.Join(dir, "missing", "x.safetensors"), []Tensor{F32Tensor("x", []int{1}, []float32{1})}, nil)
	if err == nil {
		t.Fatal("WriteFile into a missing directory succeeded")
	}
	if got := dirEntries(t, dir); len(got) != 0 {
		t.Errorf("left %v behind", got)
	}
}

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w.safetensors")
	for _, name := range []string{"old", "new"} {
		if err := WriteFile(p, []Tensor{F32Tensor(name, []int{1}, []float32{1})}, nil); err != nil {
			t.Fatal(err)
		}
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Names(); !slices.Equal(got, []string{"new"}) {
		t.Errorf("Names = %v after replace", got)
	}
	if got := dirEntries(t, dir); len(got) != 1 {
		t.Errorf("directory holds %v", got)
	}
}
