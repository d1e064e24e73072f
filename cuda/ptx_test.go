package cuda

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEntries holds the committed PTX to Specs: every kernel present once,
// in its module, with the parameter count and 8-byte kinds the launchers
// use, and no kernel that Specs does not know.
func TestEntries(t *testing.T) {
	got, err := Kernels()
	if err != nil {
		t.Fatal(err)
	}
	want := Specs()
	seen := map[string]bool{}
	for _, w := range want {
		if seen[w.Name] {
			t.Errorf("Specs lists %s twice", w.Name)
		}
		seen[w.Name] = true
		g, ok := got[w.Name]
		if !ok {
			t.Errorf("kernel %s (module %s) is missing from the PTX", w.Name, w.Module)
			continue
		}
		if g.Module != w.Module {
			t.Errorf("kernel %s: in module %s, want %s", w.Name, g.Module, w.Module)
		}
		// PTX spells pointers and int64 alike (.u64); doubles are .f64.
		ptxSig := strings.ReplaceAll(w.Params, "i", "p")
		if g.Params != ptxSig {
			t.Errorf("kernel %s: PTX parameters %q (%d), want %q (%d)", w.Name, g.Params, len(g.Params), ptxSig, len(ptxSig))
		}
	}
	for name := range got {
		if !seen[name] {
			t.Errorf("PTX has kernel %s that Specs does not list", name)
		}
	}
}

// TestModulesSelfContained checks that no module calls an external function
// (libdevice is not linked: every math function must be ours) and that each
// targets sm_80 with 64-bit addresses.
func TestModulesSelfContained(t *testing.T) {
	mods, err := Modules()
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) == 0 {
		t.Fatal("no PTX modules embedded")
	}
	for _, m := range mods {
		for _, bad := range []string{".extern", "call.uni", "call "} {
			if strings.Contains(m.PTX, bad) {
				t.Errorf("module %s contains %q: an unresolved function call", m.Name, bad)
			}
		}
		for _, need := range []string{".target sm_80", ".address_size 64"} {
			if !strings.Contains(m.PTX, need) {
				t.Errorf("module %s lacks %q", m.Name, need)
			}
		}
	}
}

// TestPTXFresh rebuilds the PTX from the .cu sources with the same script as
// `make ptx` and fails on any difference from the committed files. Without
// clang-16 it skips, except under CI (CI is set), where `make test`
// installs it first.
func TestPTXFresh(t *testing.T) {
	clang := os.Getenv("CLANG")
	if clang == "" {
		clang = "clang-16"
	}
	if _, err := exec.LookPath(clang); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found; `make test` installs it (bash .ci/need clang-16 clang-16)", clang)
		}
		t.Skipf("%s not found: cannot rebuild the PTX (install Debian clang-16)", clang)
	}
	dir := t.TempDir()
	cmd := exec.Command("bash", "build-ptx.sh", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-ptx.sh: %v\n%s", err, out)
	}
	fresh, _ := filepath.Glob(filepath.Join(dir, "*.ptx"))
	committed, _ := filepath.Glob("*.ptx")
	if len(fresh) != len(committed) {
		t.Errorf("fresh build has %d PTX files, the package %d: run `make ptx`", len(fresh), len(committed))
	}
	for _, f := range fresh {
		name := filepath.Base(f)
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		have, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: not committed (%v): run `make ptx`", name, err)
			continue
		}
		if !bytes.Equal(have, want) {
			t.Errorf("%s differs from a fresh build of %s: run `make ptx`", name, strings.TrimSuffix(name, ".ptx")+".cu")
		}
	}
}

func TestParseEntries(t *testing.T) {
	tests := []struct {
		name    string
		ptx     string
		want    []Entry
		wantErr string
	}{
		{"none", ".version 7.0\n.target sm_80\n", nil, ""},
		{"two", ".visible .entry a(\n\t.param .u64 a_0,\n\t.param .f64 a_1\n)\n{ ret; }\n.visible .entry b()\n{ ret; }\n",
			[]Entry{{"a", []string{".u64", ".f64"}}, {"b", nil}}, ""},
		{"no list", ".entry a\n{", nil, "without a parameter list"},
		{"unterminated", ".entry a(\n.param .u64 x", nil, "unterminated"},
		{"bad param", ".entry a(\n garbage\n)", nil, "cannot read parameter"},
		{"bad name", ".entry (\n)", nil, "malformed .entry name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEntries(tc.ptx)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d entries %v, want %v", len(got), got, tc.want)
			}
			for i := range got {
				if got[i].Name != tc.want[i].Name || strings.Join(got[i].Params, " ") != strings.Join(tc.want[i].Params, " ") {
					t.Errorf("entry %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func FuzzParseEntries(f *testing.F) {
	mods, err := Modules()
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range mods {
		f.Add(m.PTX[:min(len(m.PTX), 2000)])
	}
	f.Add(".entry x(.param .u64 a, .param .f64 b)")
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := ParseEntries(s)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Name == "" {
				t.Fatalf("entry without a name from %q", s)
			}
		}
	})
}
