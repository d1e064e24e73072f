package webgpu

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/quant"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// writeBundle converts a reference checkpoint to a bundle of dtype the way
// cmd/convert does (bundle.Policy, group 32).
func writeBundle(t *testing.T, ref, dtype string) string {
	t.Helper()
	cfgName, format := "config.yaml", "yaml"
	cfgText, err := os.ReadFile(filepath.Join(ref, cfgName))
	if err != nil {
		t.Fatal(err)
	}
	cfgJSON, err := os.ReadFile(filepath.Join(ref, "config.json"))
	family := "xlstm-lm"
	if err == nil {
		cfgText, format, family = cfgJSON, "json", "xlstm-large"
	}
	set, err := safetensors.Open(filepath.Join(ref, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	dir := filepath.Join(t.TempDir(), "bundle")
	w, err := bundle.Create(dir, bundle.Model{Family: family, ConfigFormat: format, Config: string(cfgText)}, bundle.Options{DType: dtype})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range set.Names() {
		info, _ := set.Info(name)
		n := 1
		for _, d := range info.Shape {
			n *= d
		}
		x := make([]float32, n)
		if err := set.ReadFloat32(name, x); err != nil {
			t.Fatal(err)
		}
		dt, g := bundle.Policy(name, info.Shape, strings.ToLower(dtype), 32)
		var payload []byte
		if k, ok := quant.ParseKind(dt); ok {
			codes, scales := make([]byte, k.CodeBytes(n)), make([]byte, 2*(n/g))
			if err := quant.Quantize(k, x, g, codes, scales); err != nil {
				t.Fatal(err)
			}
			payload = append(codes, scales...)
		} else {
			payload = make([]byte, quant.ElemSize(dt)*n)
			if err := quant.EncodeFloat32(dt, x, payload); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Add(name, dt, info.Shape, g, payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestQuantisedBundles runs q8 and q4 bundles of every reference set with
// the weights kept quantised on the device, against the CPU path on the
// same bundle (which dequantises on load): prefill and step logits.
func TestQuantisedBundles(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	for _, name := range testref.ReferenceSets() {
		for _, dtype := range []string{"Q8", "Q4"} {
			linear := map[string]string{"Q8": "gpu", "Q4": "cpu"}[dtype] // both kernels, both formats across the sets
			if name == "mixed" || name == "xlstm_large" {
				linear = map[string]string{"Q8": "cpu", "Q4": "gpu"}[dtype]
			}
			t.Run(name+"/"+dtype+"/"+linear, func(t *testing.T) {
				r := openRef(t, name)
				dir := writeBundle(t, r.dir, dtype)
				b, err := engine.LoadBundle(os.DirFS(dir))
				if err != nil {
					t.Fatal(err)
				}
				e, err := NewEngine(dev, b, Options{Weights: os.DirFS(dir), PrefillChunk: 16, Linear: linear})
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				if n := e.quantisedMatrices(); n == 0 {
					t.Fatalf("no matrix stayed quantised on the device")
				}
				cpu := engine.NewCPU(b.Model)
				toks := r.toks[0]
				v := b.Config.VocabSize
				want := make([]float32, 0, len(toks)*v)
				cs, _ := cpu.NewSession()
				for _, tok := range toks {
					if err := cs.Step(tok); err != nil {
						t.Fatal(err)
					}
					l, _ := cs.Logits()
					want = append(want, l...)
				}
				gs, _ := e.NewSession()
				got, err := gs.(*Session).PrefillLogits(ctx, toks)
				if err != nil {
					t.Fatal(err)
				}
				ep := maxAbs(got, want)
				gs.Reset()
				got = got[:0]
				for _, tok := range toks {
					if err := gs.Step(tok); err != nil {
						t.Fatal(err)
					}
					l, err := gs.Logits()
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, l...)
				}
				es := maxAbs(got, want)
				t.Logf("%-12s %s: %d matrices quantised; prefill max abs %.2e, step max abs %.2e vs the CPU path", name, dtype, e.quantisedMatrices(), ep, es)
				if ep > tolRef || es > tolRef {
					t.Errorf("max abs prefill %.3e, step %.3e > %.0e", ep, es, tolRef)
				}
			})
		}
	}
}
