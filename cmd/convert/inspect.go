package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/checkpoint"
)

// inspect prints a checkpoint's kind, config, tensor table and totals.
func inspect(path, configPath string, stdout io.Writer) error {
	ck, err := checkpoint.Open(path)
	if err != nil {
		return err
	}
	defer ck.Close()
	fmt.Fprintf(stdout, "checkpoint: %s (%s)\n", path, ck.Kind)
	cfg, bm, cfgErr := loadConfig(configPath, ck)
	if cfgErr != nil {
		fmt.Fprintf(stdout, "config: none usable: %s\n", oneLine(cfgErr))
	} else {
		fmt.Fprintf(stdout, "config: %s, %d blocks, embedding %d, vocabulary %d (%s text)\n",
			cfg.Family, cfg.NumBlocks, cfg.EmbeddingDim, cfg.VocabSize, bm.ConfigFormat)
		for _, line := range strings.Split(strings.TrimRight(bm.Config, "\n"), "\n") {
			fmt.Fprintf(stdout, "  %s\n", line)
		}
	}
	if ck.Bundle != nil {
		m := ck.Bundle.Manifest()
		tok := "none"
		if m.Tokenizer != nil {
			tok = m.Tokenizer.Type
			if m.Tokenizer.File != "" {
				tok += " (" + m.Tokenizer.File + ")"
			}
		}
		comp := 0
		for _, s := range m.Shards {
			if s.Compression != "" {
				comp++
			}
		}
		fmt.Fprintf(stdout, "bundle: format %s v%d, dtype %s, tokenizer %s, %d shards (%d compressed), %d bytes stored\n",
			m.Format, m.Version, m.DType, tok, len(m.Shards), comp, m.StoredBytes())
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "name\tdtype\tshape\tbytes\t")
	var params, bytes int64
	counts := map[string]int64{}
	for _, n := range ck.Names() {
		info, _ := ck.Info(n)
		extra := ""
		if ck.Bundle != nil {
			if t, ok := ck.Bundle.Tensor(n); ok && t.Group > 0 {
				extra = fmt.Sprintf(" g%d", t.Group)
			}
		}
		fmt.Fprintf(tw, "%s\t%s%s\t%v\t%d\t\n", n, info.DType, extra, info.Shape, info.Size)
		params += int64(info.NumElements())
		bytes += info.Size
		counts[string(info.DType)] += int64(info.NumElements())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "total: %d tensors, %d parameters, %d bytes;", len(ck.Names()), params, bytes)
	for _, dt := range []string{"F64", "F32", "F16", "BF16", "Q8", "Q4"} {
		if counts[dt] > 0 {
			fmt.Fprintf(stdout, " %s %d", dt, counts[dt])
		}
	}
	fmt.Fprintln(stdout)
	if cfgErr == nil {
		if _, err := makePlan(cfg, ck.Source, "f32", 64); err != nil {
			fmt.Fprintf(stdout, "check: %s\n", oneLine(err))
		} else {
			fmt.Fprintln(stdout, "check: tensors match the config")
		}
	}
	return nil
}

// verify checks a bundle: the manifest, every shard's hash and size, the
// tokenizer file, the config, and the tensors against the config.
func verify(dir string, stdout io.Writer) error {
	r, err := bundle.Open(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Verify(); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	cfg, err := model.BundleConfig(r.Manifest())
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if _, err := makePlan(cfg, r, "f32", 64); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	m := r.Manifest()
	fmt.Fprintf(stdout, "ok: %s: %d shards (%d bytes), %d tensors, %d parameters, %s config\n",
		dir, len(m.Shards), m.StoredBytes(), len(m.Tensors), m.Params(), m.Model.Family)
	return nil
}

var _ checkpoint.Source = (*bundle.Reader)(nil)
