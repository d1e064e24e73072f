// Command benchconvert measures cmd/convert on a large synthetic checkpoint
// (make bench-convert): it writes a 7B-shaped xLSTM Large checkpoint of
// random bf16 weights under Hugging Face names, sharded with an index
// (num_blocks limited so that it is about -size bytes), converts it with
// the given convert binary to -dtype, and prints the throughput and the
// converter's peak RSS. Temporary files are deleted at the end.
//
//	benchconvert -convert bin/convert [-size 2.4GB] [-dtype q4] [-keep]
//	benchconvert -convert bin/convert -sizes CONFIG.yaml
//
// With -sizes it instead writes random f32 weights for the given config and
// prints the bundle size for every dtype.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

// hfConfig is the published xLSTM-7b config.json with num_blocks to fill in.
const hfConfig = `{
  "architectures": ["xLSTMForCausalLM"], "model_type": "xlstm",
  "add_out_norm": true, "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1,
  "chunk_size": 64, "embedding_dim": 4096, "hidden_size": 4096, "eps": 1e-06,
  "ffn_proj_factor": 2.667, "ffn_round_up_to_multiple_of": 64, "gate_soft_cap": 15.0,
  "norm_eps": 1e-06, "norm_reduction_force_float32": true, "num_heads": 8,
  "num_blocks": %d, "num_hidden_layers": %d, "output_logit_soft_cap": 30.0,
  "qk_dim_factor": 0.5, "v_dim_factor": 1.0, "tie_word_embeddings": false,
  "torch_dtype": "bfloat16", "use_bias": false, "vocab_size": 50304, "weight_mode": "single"
}
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "benchconvert:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	conv := flag.String("convert", "bin/convert", "the convert binary")
	size := flag.Float64("size", 2.4e9, "approximate checkpoint size in bytes (7B shape, fewer blocks)")
	dtype := flag.String("dtype", "q4", "bundle dtype")
	sizes := flag.String("sizes", "", "config file: report bundle sizes of random weights for every dtype instead")
	keep := flag.Bool("keep", false, "keep the temporary files")
	flag.Parse()
	tmp, err := os.MkdirTemp("", "bench-convert-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(tmp)
	} else {
		fmt.Println("files in", tmp)
	}
	if *sizes != "" {
		return reportSizes(ctx, *conv, *sizes, tmp)
	}
	blocks, cfg, err := shape(*size)
	if err != nil {
		return err
	}
	in := filepath.Join(tmp, "checkpoint")
	began := time.Now()
	total, err := writeCheckpoint(ctx, in, cfg, fmt.Sprintf(hfConfig, blocks, blocks), 4, false)
	if err != nil {
		return err
	}
	syscall.Sync() // measure the converter, not the write-back of its input
	fmt.Printf("checkpoint: %d blocks of the xLSTM-7B shape, %.2f GB bf16 in 4 shards (HF names, index), written in %.1fs\n",
		blocks, float64(total)/1e9, time.Since(began).Seconds())
	out := filepath.Join(tmp, "bundle")
	secs, rssKB, err := convert(ctx, *conv, in, out, *dtype)
	if err != nil {
		return err
	}
	man, err := readManifest(out)
	if err != nil {
		return err
	}
	fmt.Printf("convert -dtype %s: %.2fs, %.0f MB/s of input, peak RSS %.0f MB; bundle %.2f GB in %d shards (%d zstd)\n",
		*dtype, secs, float64(total)/1e6/secs, float64(rssKB)/1024, float64(man.StoredBytes())/1e9, len(man.Shards), compressed(man))
	return nil
}

// shape returns the block count whose checkpoint is closest to size bytes
// (at least 1) and the matching config.
func shape(size float64) (int, *model.Config, error) {
	best := 1
	for b := 1; b <= 32; b++ {
		cfg, err := model.ParseConfigJSON([]byte(fmt.Sprintf(hfConfig, b, b)))
		if err != nil {
			return 0, nil, err
		}
		if float64(params(cfg))*2 >= size {
			best = b
			break
		}
		best = b
	}
	cfg, err := model.ParseConfigJSON([]byte(fmt.Sprintf(hfConfig, best, best)))
	return best, cfg, err
}

func params(cfg *model.Config) int64 {
	specs, _ := model.Tensors(cfg)
	var n int64
	for _, s := range specs {
		p := int64(1)
		for _, d := range s.Shape {
			p *= int64(d)
		}
		n += p
	}
	return n
}

// hfName renames official xLSTM Large names as transformers does.
func hfName(n string) string {
	n = strings.Replace(n, "embedding.weight", "backbone.embeddings.weight", 1)
	for _, r := range [][2]string{{".q.", ".query."}, {".k.", ".key."}, {".v.", ".value."}} {
		n = strings.Replace(n, r[0], r[1], 1)
	}
	return n
}

// writeCheckpoint writes random bf16 (or f32) weights for cfg into dir as
// shards model-0000i-of-0000n.safetensors plus model.safetensors.index.json
// and config.json; it returns the total tensor bytes.
func writeCheckpoint(ctx context.Context, dir string, cfg *model.Config, configText string, shards int, f32 bool) (int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	specs, err := model.Tensors(cfg)
	if err != nil {
		return 0, err
	}
	es := int64(2)
	if f32 {
		es = 4
	}
	var total int64
	for _, s := range specs {
		total += es * numel(s.Shape)
	}
	// Cut the tensor list into shards of about equal size.
	per := total/int64(shards) + 1
	var groups [][]model.TensorSpec
	var cur []model.TensorSpec
	var curSize int64
	for _, s := range specs {
		cur = append(cur, s)
		curSize += es * numel(s.Shape)
		if curSize >= per {
			groups, cur, curSize = append(groups, cur), nil, 0
		}
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	index := map[string]string{}
	rng := uint64(0x9e3779b97f4a7c15)
	for i, g := range groups {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(groups))
		if err := writeShard(ctx, filepath.Join(dir, name), g, &rng, f32); err != nil {
			return 0, err
		}
		for _, s := range g {
			index[hfName(s.Name)] = name
		}
	}
	idx, _ := json.MarshalIndent(map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": index}, "", " ")
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), idx, 0o644); err != nil {
		return 0, err
	}
	return total, os.WriteFile(filepath.Join(dir, "config.json"), []byte(configText), 0o644)
}

func numel(shape []int) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= int64(d)
	}
	return n
}

// writeShard streams one safetensors file of random bf16 (or f32) tensors.
func writeShard(ctx context.Context, path string, specs []model.TensorSpec, rng *uint64, f32 bool) error {
	sort.Slice(specs, func(i, j int) bool { return hfName(specs[i].Name) < hfName(specs[j].Name) })
	header := map[string]any{}
	var off int64
	es, dt := int64(2), "BF16"
	if f32 {
		es, dt = 4, "F32"
	}
	for _, s := range specs {
		n := es * numel(s.Shape)
		header[hfName(s.Name)] = map[string]any{"dtype": dt, "shape": s.Shape, "data_offsets": []int64{off, off + n}}
		off += n
	}
	h, _ := json.Marshal(header)
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	binary.Write(w, binary.LittleEndian, uint64(len(h)))
	w.Write(h)
	buf := make([]byte, 1<<20)
	for _, s := range specs {
		isNorm := len(s.Shape) == 1
		for left := es * numel(s.Shape); left > 0; {
			if err := ctx.Err(); err != nil {
				f.Close()
				return err
			}
			k := min(left, int64(len(buf)))
			fill(buf[:k], rng, isNorm, f32)
			w.Write(buf[:k])
			left -= k
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fill writes approximately normal bf16 (or f32) values (std 0.02, or
// around 1 for norm weights): the sum of four uniforms (Irwin–Hall), from
// xorshift.
func fill(b []byte, s *uint64, norm, f32 bool) {
	x := *s
	step := 2
	if f32 {
		step = 4
	}
	for i := 0; i+step <= len(b); i += step {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		u := float32(x&0xffff) + float32(x>>16&0xffff) + float32(x>>32&0xffff) + float32(x>>48)
		v := (u/65536 - 2) * 0.0346 // Var of the sum is 4/12: std 0.02
		if norm {
			v += 1
		}
		if f32 {
			binary.LittleEndian.PutUint32(b[i:], math.Float32bits(v))
		} else {
			binary.LittleEndian.PutUint16(b[i:], uint16(math.Float32bits(v)>>16))
		}
	}
	*s = x
}

// convert runs the converter and returns its wall time and peak RSS (KiB).
func convert(ctx context.Context, bin, in, out, dtype string) (float64, int64, error) {
	cmd := exec.CommandContext(ctx, bin, "-in", in, "-out", out, "-dtype", dtype, "-force")
	cmd.Stderr = os.Stderr
	began := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", bin, err)
	}
	secs := time.Since(began).Seconds()
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return secs, 0, errors.New("no rusage for the converter")
	}
	return secs, ru.Maxrss, nil
}

func readManifest(dir string) (*bundle.Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, bundle.ManifestName))
	if err != nil {
		return nil, err
	}
	return bundle.ParseManifest(data)
}

func compressed(m *bundle.Manifest) int {
	n := 0
	for _, s := range m.Shards {
		if s.Compression != "" {
			n++
		}
	}
	return n
}

// reportSizes writes random bf16 weights for the config at path and prints
// the bundle size of every dtype.
func reportSizes(ctx context.Context, bin, path, tmp string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cfg *model.Config
	if strings.HasSuffix(path, ".json") {
		cfg, err = model.ParseConfigJSON(data)
	} else {
		cfg, err = model.ParseConfigYAML(data)
	}
	if err != nil {
		return err
	}
	in := filepath.Join(tmp, "checkpoint")
	total, err := writeCheckpoint(ctx, in, cfg, "", 1, true)
	if err != nil {
		return err
	}
	os.Remove(filepath.Join(in, "config.json"))
	fmt.Printf("%s: %d parameters, random weights (f32 input %d bytes)\n", filepath.Base(path), params(cfg), total)
	for _, dt := range []string{"f32", "f16", "bf16", "q8", "q4"} {
		out := filepath.Join(tmp, "bundle-"+dt)
		cmd := exec.CommandContext(ctx, bin, "-in", in, "-out", out, "-dtype", dt, "-config", path)
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("convert %s: %v: %s", dt, err, msg)
		}
		man, err := readManifest(out)
		if err != nil {
			return err
		}
		fmt.Printf("  %-4s %12d bytes in %3d shards (%d zstd)\n", dt, man.StoredBytes(), len(man.Shards), compressed(man))
	}
	return nil
}
