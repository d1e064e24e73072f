// Package cuda holds the CUDA kernels of training and conversion: the CUDA C
// sources (*.cu, with xlstm_cuda.h standing in for the CUDA headers), the
// PTX compiled from them by Debian's clang-16 (committed; `make ptx`
// rebuilds it, TestPTXFresh checks it is current) and, in builds with
// `-tags cuda`, the Go host side on gorgonia.org/cu that loads the PTX and
// launches the kernels. The default build needs no CUDA: it embeds the PTX
// and reports that CUDA support is absent (Available).
package cuda

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed *.ptx
var ptxFiles embed.FS

// Module is one compiled .cu file.
type Module struct {
	Name string // the source's base name: "mlstm" for mlstm.cu
	PTX  string
}

// Modules returns the embedded PTX modules, sorted by name.
func Modules() ([]Module, error) {
	names, err := fs.Glob(ptxFiles, "*.ptx")
	if err != nil {
		return nil, fmt.Errorf("cuda: list ptx: %w", err)
	}
	sort.Strings(names)
	mods := make([]Module, 0, len(names))
	for _, n := range names {
		b, err := ptxFiles.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("cuda: read %s: %w", n, err)
		}
		mods = append(mods, Module{Name: strings.TrimSuffix(path.Base(n), ".ptx"), PTX: string(b)})
	}
	return mods, nil
}

// Entry is a kernel entry point found in PTX: its name and the PTX types
// of its parameters in order (".u64", ".f64", ...).
type Entry struct {
	Name   string
	Params []string
}

// ParseEntries lists the `.entry` kernels of a PTX text. It reads only
// what it needs (the entry lines and their parameter lists) and reports a
// malformed entry by name.
func ParseEntries(ptx string) ([]Entry, error) {
	var out []Entry
	rest := ptx
	for {
		i := strings.Index(rest, ".entry ")
		if i < 0 {
			return out, nil
		}
		rest = rest[i+len(".entry "):]
		open := strings.IndexByte(rest, '(')
		if open < 0 {
			return nil, fmt.Errorf("ptx: .entry without a parameter list")
		}
		name := strings.TrimSpace(rest[:open])
		if name == "" || strings.ContainsAny(name, " \t\n{};") {
			return nil, fmt.Errorf("ptx: malformed .entry name %q", name)
		}
		end := strings.IndexByte(rest[open:], ')')
		if end < 0 {
			return nil, fmt.Errorf("ptx: entry %s: unterminated parameter list", name)
		}
		list := rest[open+1 : open+end]
		rest = rest[open+end:]
		e := Entry{Name: name}
		for _, p := range strings.Split(list, ",") {
			f := strings.Fields(p)
			if len(f) == 0 {
				continue
			}
			// ".param .u64 name" or ".param .align 8 .b8 name[16]".
			if f[0] != ".param" || len(f) < 3 {
				return nil, fmt.Errorf("ptx: entry %s: cannot read parameter %q", name, strings.TrimSpace(p))
			}
			e.Params = append(e.Params, f[1])
		}
		out = append(out, e)
	}
}

// Kernels returns every entry of every embedded module, keyed by kernel
// name, with the module it lives in.
func Kernels() (map[string]KernelSpec, error) {
	mods, err := Modules()
	if err != nil {
		return nil, err
	}
	out := map[string]KernelSpec{}
	for _, m := range mods {
		entries, err := ParseEntries(m.PTX)
		if err != nil {
			return nil, fmt.Errorf("cuda: module %s: %w", m.Name, err)
		}
		for _, e := range entries {
			if prev, dup := out[e.Name]; dup {
				return nil, fmt.Errorf("cuda: kernel %s defined in both %s and %s", e.Name, prev.Module, m.Name)
			}
			var sig strings.Builder
			for _, p := range e.Params {
				switch p {
				case ".u64", ".s64", ".b64":
					sig.WriteByte('p') // pointers and int64 look the same in PTX
				case ".f64":
					sig.WriteByte('f')
				default:
					return nil, fmt.Errorf("cuda: kernel %s: parameter type %s is not 8 bytes", e.Name, p)
				}
			}
			out[e.Name] = KernelSpec{Module: m.Name, Name: e.Name, Params: sig.String()}
		}
	}
	return out, nil
}
