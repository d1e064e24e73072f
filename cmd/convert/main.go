// Command convert turns an official xLSTM checkpoint into a weight bundle
// (manifest.json + content-addressed, optionally zstd-compressed shards of
// at most 25 MiB) that the browser, the server and the trainer load, and
// inspects or verifies checkpoints and bundles.
//
//	convert -in PATH -out DIR [-dtype f32|f16|bf16|q8|q4] [-group 64]
//	        [-shard-size 24MiB] [-tokenizer FILE|byte] [-config FILE] [-force]
//	convert -inspect PATH
//	convert -verify DIR
//
// PATH is a torch state_dict.pt (zip format), a safetensors file, a
// checkpoint directory (model.safetensors, shards, or a Hugging Face index)
// or a bundle. The config comes from -config, else from config.yaml or
// config.json beside the checkpoint (or the bundle's manifest). Tensors are
// renamed to the official names, checked against the config before
// anything is written, and converted one at a time (large ones in row
// ranges), so memory stays bounded. The bundle is written to a temporary
// directory and renamed into place at the end; an existing output needs
// -force. On error it prints one line and exits with status 1, leaving no
// output behind.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/xlstm-go/xlstm/weights/bundle"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "convert:", oneLine(err))
		}
		os.Exit(1)
	}
}

// oneLine flattens a (possibly joined) error message onto one line.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// options are the parsed command-line flags.
type options struct {
	in, out    string
	dtype      string
	group      int
	shardSize  int64
	tokenizer  string
	config     string
	force      bool
	noCompress bool
	inspect    string
	verify     string
	// progress forces the progress bar on (true) or off (false); nil
	// means "when stderr is a terminal".
	progress *bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	shard := "24MiB"
	fs.StringVar(&o.in, "in", "", "checkpoint: state_dict.pt, .safetensors file, checkpoint directory or bundle")
	fs.StringVar(&o.out, "out", "", "output bundle directory")
	fs.StringVar(&o.dtype, "dtype", "f32", "weight format: f32, f16, bf16, q8 or q4")
	fs.IntVar(&o.group, "group", 64, "q8/q4: values per scale, along the input dimension")
	fs.StringVar(&shard, "shard-size", shard, "raw shard size (bytes, or with KiB/MiB/KB/MB), at most 25MiB")
	fs.StringVar(&o.tokenizer, "tokenizer", "", "tokenizer.json to store in the bundle, or \"byte\" for the byte tokenizer (default: tokenizer.json beside the checkpoint, if any)")
	fs.StringVar(&o.config, "config", "", "model config (config.yaml or config.json); default: beside the checkpoint")
	fs.BoolVar(&o.force, "force", false, "replace an existing output directory")
	fs.BoolVar(&o.noCompress, "no-compress", false, "store shards uncompressed")
	fs.StringVar(&o.inspect, "inspect", "", "print a checkpoint's or bundle's config, tensors, dtypes, sizes and parameter count")
	fs.StringVar(&o.verify, "verify", "", "check a bundle: manifest, every shard's hash, tensors against the config")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	modes := 0
	for _, s := range []string{o.in, o.inspect, o.verify} {
		if s != "" {
			modes++
		}
	}
	switch {
	case modes == 0:
		return nil, errors.New("give -in PATH -out DIR, -inspect PATH or -verify DIR")
	case modes > 1:
		return nil, errors.New("-in, -inspect and -verify exclude each other")
	case o.in != "" && o.out == "":
		return nil, errors.New("-out DIR is required with -in")
	case o.in == "" && o.out != "":
		return nil, errors.New("-out needs -in")
	}
	switch o.dtype {
	case "f32", "f16", "bf16", "q8", "q4":
	default:
		return nil, fmt.Errorf("-dtype %q: want f32, f16, bf16, q8 or q4", o.dtype)
	}
	if o.group < 2 || o.group%2 != 0 || o.group > 1<<16 {
		return nil, fmt.Errorf("-group %d: want an even number from 2 to 65536", o.group)
	}
	n, err := parseSize(shard)
	if err != nil {
		return nil, fmt.Errorf("-shard-size: %w", err)
	}
	if n < 1<<16 || n > bundle.MaxShardSize || n%bundle.Align != 0 {
		return nil, fmt.Errorf("-shard-size %s: want a multiple of %d from 64KiB to 25MiB", shard, bundle.Align)
	}
	o.shardSize = n
	return o, nil
}

// parseSize reads "24MiB", "1000000", "512KiB", "20MB".
func parseSize(s string) (int64, error) {
	mult := int64(1)
	num := s
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 || v*float64(mult) > 1<<40 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return int64(v * float64(mult)), nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	switch {
	case o.inspect != "":
		return inspect(o.inspect, o.config, stdout)
	case o.verify != "":
		return verify(o.verify, stdout)
	}
	_, err = convert(ctx, o, stderr)
	return err
}
