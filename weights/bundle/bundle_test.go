package bundle

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/xlstm-go/xlstm/weights/quant"
)

var testModel = Model{Family: "xlstm-lm", ConfigFormat: "yaml", Config: "vocab_size: 4\n"}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func ramp(n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%97-48) * scale
	}
	return v
}

// writeTest writes a bundle with small shards: a tensor spanning three
// shards, compressible and incompressible ones, F16 and Q8/Q4.
func writeTest(t *testing.T, dir string, opts Options) map[string][]float32 {
	t.Helper()
	w, err := Create(dir, testModel, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{}
	add := func(name, dtype string, shape []int, group int, v []float32) {
		var payload []byte
		switch dtype {
		case F32:
			payload = f32Bytes(v)
		case F16:
			payload = make([]byte, 2*len(v))
			quant.EncodeFloat32("F16", v, payload)
		default:
			k, _ := quant.ParseKind(dtype)
			payload = make([]byte, k.Size(len(v), group))
			if err := quant.Quantize(k, v, group, payload[:k.CodeBytes(len(v))], payload[k.CodeBytes(len(v)):]); err != nil {
				t.Fatal(err)
			}
			dq := make([]float32, len(v))
			quant.Dequantize(k, payload[:k.CodeBytes(len(v))], payload[k.CodeBytes(len(v)):], group, dq)
			v = dq
		}
		if err := w.Add(name, dtype, shape, group, payload); err != nil {
			t.Fatal(err)
		}
		want[name] = v
	}
	add("small", F32, []int{3}, 0, []float32{1, 2, 3})
	add("big", F32, []int{100, 100}, 0, ramp(10000, 0.25)) // 40000 bytes: spans shards
	add("half", F16, []int{10, 8}, 0, ramp(80, 0.5))
	add("q8", Q8, []int{16, 64}, 32, ramp(1024, 0.01))
	add("q4", Q4, []int{8, 64}, 64, ramp(512, 0.03))
	add("empty", F32, []int{0, 4}, 0, nil)
	if err := w.AddTokenizerFile([]byte(`{"model":{}}`)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

func TestWriteRead(t *testing.T) {
	for _, compress := range []bool{true, false} {
		dir := filepath.Join(t.TempDir(), "b")
		want := writeTest(t, dir, Options{ShardSize: 16384, NoCompress: !compress})
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Verify(); err != nil {
			t.Fatal(err)
		}
		m := r.Manifest()
		if len(m.Shards) < 3 {
			t.Fatalf("%d shards, want the big tensor to span several", len(m.Shards))
		}
		zipped := 0
		for _, s := range m.Shards {
			if s.RawSize > 16384 || s.Size > MaxShardSize {
				t.Fatalf("shard %s too big", s.File)
			}
			if s.Compression == CompressionZstd {
				zipped++
			}
		}
		if compress && zipped == 0 || !compress && zipped > 0 {
			t.Fatalf("compress=%v but %d shards compressed", compress, zipped)
		}
		for name, v := range want {
			got := make([]float32, len(v))
			if err := r.ReadFloat32(name, got); err != nil {
				t.Fatal(name, err)
			}
			for i := range v {
				if math.Abs(float64(got[i]-v[i])) > 1e-3*math.Abs(float64(v[i])) {
					t.Fatalf("%s[%d] = %v, want %v", name, i, got[i], v[i])
				}
			}
			g64 := make([]float64, len(v))
			if err := r.ReadFloat64(name, g64); err != nil {
				t.Fatal(err)
			}
		}
		// Ranges, including across shard boundaries.
		part := make([]float32, 5000)
		if err := r.ReadFloat32At("big", 3000, part); err != nil {
			t.Fatal(err)
		}
		for i := range part {
			if part[i] != want["big"][3000+i] {
				t.Fatalf("range [%d] = %v", 3000+i, part[i])
			}
		}
		if err := r.ReadFloat32At("q8", 16, make([]float32, 32)); err == nil {
			t.Fatal("unaligned Q8 range accepted")
		}
		if info, ok := r.Info("q4"); !ok || info.DType != "Q4" || info.Shape[1] != 64 {
			t.Fatalf("info %+v", info)
		}
		tk, err := r.TokenizerFile()
		if err != nil || string(tk) != `{"model":{}}` {
			t.Fatalf("tokenizer %q, %v", tk, err)
		}
		// Concurrent readers.
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := make([]float32, 10000)
				if err := r.ReadFloat32("big", got); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		r.Close()
	}
}

// TestDeterministic: the same tensors give byte-identical bundles.
func TestDeterministic(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	writeTest(t, a, Options{ShardSize: 16384})
	writeTest(t, b, Options{ShardSize: 16384})
	ea, _ := os.ReadDir(a)
	for _, e := range ea {
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil || !bytes.Equal(x, y) {
			t.Fatalf("%s differs", e.Name())
		}
	}
}

// TestCorruptShard: a changed byte, a truncated or a missing shard is
// refused, naming the shard.
func TestCorruptShard(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b")
	writeTest(t, dir, Options{ShardSize: 16384, NoCompress: true})
	r, _ := Open(dir)
	s := r.Manifest().Shards[1].File
	path := filepath.Join(dir, s)
	data, _ := os.ReadFile(path)
	for name, bad := range map[string][]byte{"flipped": flip(data), "truncated": data[:len(data)-1]} {
		os.WriteFile(path, bad, 0o644)
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		err = r.ReadFloat32("big", make([]float32, 10000))
		if err == nil || !strings.Contains(err.Error(), s) || !strings.Contains(err.Error(), "corrupted") {
			t.Fatalf("%s shard: error %v, want one naming %s", name, err, s)
		}
		if err := r.Verify(); err == nil || !strings.Contains(err.Error(), s) {
			t.Fatalf("%s shard: Verify error %v", name, err)
		}
	}
	os.Remove(path)
	r, _ = Open(dir)
	if err := r.Verify(); err == nil || !strings.Contains(err.Error(), s) {
		t.Fatalf("missing shard: Verify error %v", err)
	}
}

func flip(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)/2] ^= 1
	return c
}

// TestWriterSafety: existing outputs need Force; Abort and failures leave
// nothing behind; misuse is an error, not a panic.
func TestWriterSafety(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "keep"), []byte("x"), 0o644)
	if _, err := Create(dir, testModel, Options{}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("existing output: %v", err)
	}
	w, err := Create(dir, testModel, Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("a", F32, []int{2}, 0, make([]byte, 4)); err == nil {
		t.Fatal("short payload accepted")
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after a failure succeeded")
	}
	w, _ = Create(dir, testModel, Options{Force: true})
	w.Add("a", F32, []int{2}, 0, make([]byte, 8))
	if err := w.Add("a", F32, []int{2}, 0, make([]byte, 8)); err == nil {
		t.Fatal("duplicate name accepted")
	}
	if _, err := w.Begin("q", Q8, []int{3, 10}, 4); err == nil {
		t.Fatal("group not dividing the row accepted")
	}
	w.Abort()
	if _, err := os.Stat(filepath.Join(dir, "keep")); err != nil {
		t.Fatal("the old output was touched")
	}
	w, _ = Create(dir, testModel, Options{Force: true})
	w.Add("a", F32, []int{2}, 0, make([]byte, 8))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keep")); err == nil {
		t.Fatal("-force did not replace the output")
	}
	ents, _ := os.ReadDir(parent)
	if len(ents) != 1 {
		t.Fatalf("leftovers beside the output: %v", ents)
	}
	if _, err := Create(dir, testModel, Options{ShardSize: MaxShardSize + 64}); err == nil {
		t.Fatal("oversized shard size accepted")
	}
}

// TestManifestErrors: ParseManifest names what is wrong.
func TestManifestErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b")
	writeTest(t, dir, Options{ShardSize: 16384})
	good, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	if _, err := ParseManifest(good); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		`"version": 1`:     `"version": 2`,
		`"dtype": "Q4"`:    `"dtype": "Q3"`,
		`"group": 64`:      `"group": 48`,
		`"name": "small"`:  `"name": "big"`,
		`"format": "xlstm`: `"format": "other`,
		`"shard_size"`:     `"unknown": 1, "shard_size"`,
	}
	for from, to := range cases {
		bad := strings.Replace(string(good), from, to, 1)
		if bad == string(good) {
			t.Fatalf("%q not in the manifest", from)
		}
		if _, err := ParseManifest([]byte(bad)); err == nil {
			t.Errorf("%s → %s accepted", from, to)
		}
	}
}

// FuzzManifest: no manifest makes the parser or reader panic, and what
// parses can be read (against an in-memory file system of zero shards).
func FuzzManifest(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "b")
	w, _ := Create(dir, testModel, Options{ShardSize: 4096})
	w.Add("x", F32, []int{2, 3}, 0, make([]byte, 24))
	w.Add("q", Q4, []int{2, 8}, 4, make([]byte, quant.Q4.Size(16, 4)))
	w.SetTokenizer(&Tokenizer{Type: "byte"})
	w.Close()
	good, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	f.Add(good)
	f.Add([]byte(`{"format":"xlstm-bundle","version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseManifest(out); err != nil {
			t.Fatalf("re-marshalled manifest rejected: %v", err)
		}
		fsys := fstest.MapFS{ManifestName: {Data: data}}
		for _, s := range m.Shards {
			fsys[s.File] = &fstest.MapFile{Data: make([]byte, min(s.Size, 1<<16))}
		}
		r, err := OpenFS(fsys)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range r.Names() {
			info, _ := r.Info(n)
			if info.NumElements() <= 1<<16 {
				_ = r.ReadFloat32(n, make([]float32, info.NumElements()))
			}
		}
		_ = r.Verify()
	})
}
