// Command benchtable turns `go test -bench` output of runtime/model into the
// speed table of issue 7: our medians beside the official implementation's
// figures and the targets.
//
//	benchtable -native native.txt [-wasm wasm.txt]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// row is one line of the table: which benchmark, the official figure (from
// ../shared/bench/ANCHORS.md, measured with NX-AI xlstm 2.0.5 on this kind of
// machine) and the target.
type row struct {
	label, bench, official, target string
	wasm                           bool
}

func rows() []row {
	return []row{
		{"bench-small decode tok/s", "DecodeBenchSmall", "229", "≥ 3,500", false},
		{"bench-small full sequence S=256 tok/s", "FullS256BenchSmall", "760", "≥ 8,000", false},
		{"bench-large decode f32 tok/s", "DecodeBenchLarge", "68", "≥ 140", false},
		{"bench-large decode q8 tok/s", "DecodeBenchLargeQ8", "—", "≥ 400", false},
		{"bench-large decode q4 tok/s", "DecodeBenchLargeQ4", "—", "≥ 600", false},
		{"bench-large prefill S=512 tok/s", "PrefillS512BenchLarge", "330", "≥ 800", false},
		{"bench-small decode in Go-wasm under Node tok/s", "DecodeBenchSmall", "(229 native)", "≥ 300", true},
	}
}

// result is every run of one benchmark.
type result struct {
	tokPerSec []float64
	allocs    []float64
}

var lineRE = regexp.MustCompile(`^Benchmark([^\s-]+)(-\d+)?\s+\d+\s+(.*)$`)

// parse reads benchmark lines: name, iterations, then value/unit pairs.
func parse(r io.Reader) (map[string]*result, string, error) {
	out := map[string]*result{}
	var cpu string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if c, ok := strings.CutPrefix(line, "cpu: "); ok {
			cpu = strings.TrimSpace(c)
		}
		m := lineRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		res := out[m[1]]
		if res == nil {
			res = &result{}
			out[m[1]] = res
		}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, "", fmt.Errorf("benchmark %s: value %q: %w", m[1], f[i], err)
			}
			switch f[i+1] {
			case "tok/s":
				res.tokPerSec = append(res.tokPerSec, v)
			case "allocs/op":
				res.allocs = append(res.allocs, v)
			}
		}
	}
	return out, cpu, sc.Err()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func readFile(path string) (map[string]*result, string, error) {
	if path == "" {
		return map[string]*result{}, "", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	res, cpu, err := parse(f)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", path, err)
	}
	return res, cpu, nil
}

func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	native := fs.String("native", "", "go test -bench output of the native run")
	wasm := fs.String("wasm", "", "go test -bench output of the js/wasm run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	nat, cpu, err := readFile(*native)
	if err != nil {
		return err
	}
	was, _, err := readFile(*wasm)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "| benchmark (1 thread unless noted) | official | target | ours (median of runs) |\n|---|---|---|---|\n")
	for _, r := range rows() {
		src := nat
		if r.wasm {
			src = was
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.label, r.official, r.target, cell(src[r.bench]))
	}
	one, two := nat["DecodeBenchLarge"], nat["DecodeBenchLarge2T"]
	ratio := "not run"
	if one != nil && two != nil && len(one.tokPerSec) > 0 && len(two.tokPerSec) > 0 {
		ratio = fmt.Sprintf("%.2f×", median(two.tokPerSec)/median(one.tokPerSec))
	}
	fmt.Fprintf(w, "| decode with 2 threads vs 1 (bench-large) | | ≥ 1.6× | %s |\n", ratio)
	worst := -1.0
	for name, res := range nat {
		if strings.HasPrefix(name, "Decode") && len(res.allocs) > 0 {
			worst = max(worst, slices.Max(res.allocs))
		}
	}
	allocs := "not run"
	if worst >= 0 {
		allocs = strconv.FormatFloat(worst, 'f', -1, 64)
	}
	fmt.Fprintf(w, "| allocations per decoded token after warm-up | | 0 | %s |\n", allocs)
	if cpu != "" {
		fmt.Fprintf(w, "\nMachine: %s.\n", cpu)
	}
	return nil
}

func cell(r *result) string {
	if r == nil || len(r.tokPerSec) == 0 {
		return "not run"
	}
	return fmt.Sprintf("%.0f (%d runs)", median(r.tokPerSec), len(r.tokPerSec))
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}
