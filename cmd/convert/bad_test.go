package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/weights/pt/pttest"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// TestHostilePickle: a checkpoint whose pickle would run a shell command is
// refused; the command does not run and nothing is written.
func TestHostilePickle(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker")
	ckpt := filepath.Join(dir, "evil.pt")
	f, _ := os.Create(ckpt)
	if err := pttest.Zip(f, []pttest.Entry{{Name: "evil/data.pkl", Data: pttest.HostilePickle("touch " + marker)}, {Name: "evil/version", Data: []byte("3\n")}}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(dir, "out")
	_, err := convertCmd("-in", ckpt, "-out", out)
	if err == nil || !strings.Contains(err.Error(), "os.system") || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("error %v, want a refusal naming os.system", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the hostile pickle ran its command")
	}
	noLeftovers(t, dir, "evil.pt")
}

// TestBadInputs: each bad input fails with a one-line error naming the
// problem, and leaves no output (nor temporary directory) behind.
func TestBadInputs(t *testing.T) {
	ref := loadReference(t, "mixed")
	other := loadReference(t, "mlstm_only")
	src := t.TempDir()
	pt := mustRead(t, filepath.Join(ref.dir, "state_dict.pt"))
	cfg := mustRead(t, filepath.Join(ref.dir, "config.yaml"))
	write := func(name string, data []byte) string {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := write("trunc/state_dict.pt", pt[:len(pt)/2])
	write("trunc/config.yaml", cfg)
	magic := write("magic/state_dict.pt", []byte("this is not a checkpoint"))
	write("magic/config.yaml", cfg)
	noCfg := write("nocfg/state_dict.pt", pt)
	// Safetensors variants of the mixed weights.
	st, err := safetensors.Open(filepath.Join(ref.dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	variant := func(name string, edit func([]safetensors.Tensor) []safetensors.Tensor) string {
		var ts []safetensors.Tensor
		for _, n := range st.Names() {
			v, _ := st.Float32(n)
			info, _ := st.Info(n)
			ts = append(ts, safetensors.F32Tensor(n, info.Shape, v))
		}
		d := filepath.Join(src, name)
		os.MkdirAll(d, 0o755)
		if err := safetensors.WriteFile(filepath.Join(d, "model.safetensors"), edit(ts), nil); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "config.yaml"), cfg, 0o644)
		return d
	}
	missing := variant("missing", func(ts []safetensors.Tensor) []safetensors.Tensor { return ts[1:] })
	extra := variant("extra", func(ts []safetensors.Tensor) []safetensors.Tensor {
		return append(ts, safetensors.F32Tensor("xlstm_block_stack.blocks.9.bogus", []int{2}, []float32{1, 2}))
	})
	shape := variant("shape", func(ts []safetensors.Tensor) []safetensors.Tensor {
		ts[0] = safetensors.F32Tensor(ts[0].Name, []int{3}, []float32{1, 2, 3})
		return ts
	})
	intDT := variant("int", func(ts []safetensors.Tensor) []safetensors.Tensor {
		n := len(ts[0].Data) / 4
		ts[0] = safetensors.Tensor{Name: ts[0].Name, DType: safetensors.I32, Shape: ts[0].Shape, Data: make([]byte, 4*n)}
		return ts
	})
	nanDT := variant("nan", func(ts []safetensors.Tensor) []safetensors.Tensor {
		for i := range ts {
			if strings.HasSuffix(ts[i].Name, "proj_up.weight") {
				copy(ts[i].Data[8:], []byte{0, 0, 0xc0, 0x7f})
				break
			}
		}
		return ts
	})
	exists := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"truncated zip", []string{"-in", truncated}, "zip"},
		{"wrong magic", []string{"-in", magic}, "magic"},
		{"no config", []string{"-in", noCfg}, "no config"},
		{"missing tensor", []string{"-in", missing}, "missing tensor"},
		{"unexpected tensor", []string{"-in", extra}, `unexpected tensor "xlstm_block_stack.blocks.9.bogus"`},
		{"shape mismatch", []string{"-in", shape}, "has shape [3], want"},
		{"int dtype", []string{"-in", intDT}, "not a float type"},
		{"NaN weight, q8", []string{"-in", nanDT, "-dtype", "q8"}, "NaN"},
		{"config of another model", []string{"-in", filepath.Join(ref.dir, "state_dict.pt"), "-config", filepath.Join(other.dir, "config.yaml")}, "does not match the config"},
		{"bad config file", []string{"-in", filepath.Join(ref.dir, "state_dict.pt"), "-config", truncated}, "config"},
		{"missing input", []string{"-in", filepath.Join(src, "nope.pt")}, "no such file"},
		{"existing output", []string{"-in", filepath.Join(ref.dir, "state_dict.pt"), "-out", exists}, "-force"},
		{"bad dtype", []string{"-in", truncated, "-dtype", "q3"}, "-dtype"},
		{"bad group", []string{"-in", truncated, "-group", "3"}, "-group"},
		{"bad shard size", []string{"-in", truncated, "-shard-size", "30MiB"}, "-shard-size"},
		{"bad tokenizer", []string{"-in", filepath.Join(ref.dir, "state_dict.pt"), "-tokenizer", filepath.Join(src, "none.json")}, "tokenizer"},
	}
	for _, c := range cases {
		parent := t.TempDir()
		args := c.args
		if !strings.Contains(strings.Join(args, " "), "-out") {
			args = append(args, "-out", filepath.Join(parent, "out"))
		}
		_, err := convertCmd(args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
			continue
		}
		if msg := oneLine(err); strings.Contains(msg, "\n") {
			t.Errorf("%s: error spans lines: %q", c.name, msg)
		}
		t.Logf("%s: %s", c.name, oneLine(err))
		noLeftovers(t, parent)
	}
	noLeftovers(t, exists)
}
