// Command generate runs an xLSTM model on the CPU reference path or on
// WebGPU (-backend webgpu): it dumps the logits of given tokens, or
// generates tokens after a prompt.
//
//	generate -model DIR [-tokens 1,2,3 | -prompt TEXT] [-mode full|step] [-n N]
//	         [-temperature T] [-top-k K] [-top-p P] [-seed S] [-ignore-eos]
//	         [-dump-logits FILE] [-backend cpu|webgpu]
//
// DIR holds config.yaml or config.json plus safetensors weights, and for
// -prompt a tokenizer.json (a Hugging Face tokenizer.json, or a byte
// tokenizer spec, see runtime/tokenizer). -dump-logits writes a safetensors
// file with one tensor "logits" [S,V] float32 for the given tokens and
// generates nothing. -mode full uses the full-sequence form, -mode step the
// recurrent form. With -n it streams what it generates to stdout: the token
// ids, space-separated, after -tokens; the decoded text after -prompt.
// Sampling is greedy at temperature 0, seeded otherwise (same seed, same
// tokens).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/sample"
	"github.com/xlstm-go/xlstm/runtime/tokenizer"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "generate:", err)
		}
		os.Exit(1)
	}
}

// options are the parsed command-line flags.
type options struct {
	modelDir   string
	tokens     []int
	prompt     string
	hasPrompt  bool // -prompt was given (maybe "")
	mode       string
	n          int
	params     sample.Params
	ignoreEOS  bool
	dumpLogits string
	threads    int
	backend    string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	var tokens string
	fs.StringVar(&o.modelDir, "model", "", "model directory (config.yaml or config.json plus safetensors weights)")
	fs.StringVar(&tokens, "tokens", "", "prompt token ids, comma-separated")
	fs.StringVar(&o.prompt, "prompt", "", "prompt text (needs tokenizer.json in the model directory); output is then text")
	fs.StringVar(&o.mode, "mode", "full", "full (full-sequence form) or step (recurrent form)")
	fs.IntVar(&o.n, "n", 0, "number of tokens to generate")
	fs.Float64Var(&o.params.Temperature, "temperature", 0, "sampling temperature (0 = greedy)")
	fs.IntVar(&o.params.TopK, "top-k", 0, "sample from the K most likely tokens (0 = all)")
	fs.Float64Var(&o.params.TopP, "top-p", 0, "nucleus sampling probability mass (0 or 1 = off)")
	fs.Uint64Var(&o.params.Seed, "seed", 0, "random seed for sampling")
	fs.BoolVar(&o.ignoreEOS, "ignore-eos", false, "keep generating after the end-of-sequence token")
	fs.StringVar(&o.dumpLogits, "dump-logits", "", "write the logits [S,V] of the prompt tokens to this safetensors file and exit")
	fs.IntVar(&o.threads, "threads", runtime.NumCPU(), "goroutines sharing the large matrix products")
	fs.StringVar(&o.backend, "backend", "cpu", "cpu or webgpu (no silent fallback: webgpu without an adapter is an error)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) { o.hasPrompt = o.hasPrompt || f.Name == "prompt" })
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case o.modelDir == "":
		return nil, errors.New("-model DIR is required")
	case o.backend != "cpu" && o.backend != "webgpu":
		return nil, fmt.Errorf("-backend %q: want cpu or webgpu", o.backend)
	case o.mode != "full" && o.mode != "step":
		return nil, fmt.Errorf("-mode %q: want full or step", o.mode)
	case o.n < 0:
		return nil, fmt.Errorf("-n %d: must not be negative", o.n)
	case o.threads < 1:
		return nil, fmt.Errorf("-threads %d: want at least 1", o.threads)
	case tokens != "" && o.hasPrompt:
		return nil, errors.New("give -tokens or -prompt, not both")
	case tokens == "" && !o.hasPrompt:
		return nil, errors.New("-tokens or -prompt is required")
	}
	for i, f := range strings.Split(tokens, ",") {
		if tokens == "" {
			break
		}
		t, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("-tokens: item %d (%q) is not an integer", i, f)
		}
		o.tokens = append(o.tokens, t)
	}
	if err := o.params.Validate(); err != nil {
		return nil, err
	}
	if o.dumpLogits == "" && o.n == 0 {
		return nil, errors.New("nothing to do: give -n N to generate or -dump-logits FILE")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var tok *tokenizer.Tokenizer
	if o.hasPrompt {
		// Before the model, so that a missing tokenizer fails fast.
		if tok, err = loadTokenizer(o.modelDir); err != nil {
			return err
		}
	}
	if o.backend == "webgpu" {
		return runWebGPU(ctx, o, tok, stdout)
	}
	m, err := model.Load[float32](o.modelDir)
	if err != nil {
		return err
	}
	m.SetThreads(o.threads)
	defer m.Close()
	if tok != nil {
		if o.tokens, err = promptTokens(tok, m.Config(), o.prompt); err != nil {
			return err
		}
	}
	if o.dumpLogits != "" {
		return dumpLogits(m, o)
	}
	return generate(ctx, m, o, tok, stdout)
}

// loadTokenizer reads the tokenizer a bundle names, or DIR/tokenizer.json.
func loadTokenizer(dir string) (*tokenizer.Tokenizer, error) {
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		return bundleTokenizer(dir)
	}
	p := filepath.Join(dir, "tokenizer.json")
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("-prompt: no tokenizer.json in %s (give -tokens instead)", dir)
	}
	tok, err := tokenizer.Load(p)
	if err != nil {
		return nil, fmt.Errorf("-prompt: %w", err)
	}
	return tok, nil
}

// bundleTokenizer reads the tokenizer carried by the bundle in dir.
func bundleTokenizer(dir string) (*tokenizer.Tokenizer, error) {
	r, err := bundle.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("-prompt: %w", err)
	}
	defer r.Close()
	tok, err := engine.BundleTokenizer(r)
	switch {
	case err != nil:
		return nil, fmt.Errorf("-prompt: bundle tokenizer: %w", err)
	case tok == nil:
		return nil, fmt.Errorf("-prompt: the bundle in %s carries no tokenizer (give -tokens instead)", dir)
	}
	return tok, nil
}

// promptTokens encodes the prompt as every front end does
// (engine.PromptTokens), naming the flag in errors.
func promptTokens(tok *tokenizer.Tokenizer, cfg *model.Config, prompt string) ([]int, error) {
	ids, err := engine.PromptTokens(tok, cfg, prompt)
	if err != nil {
		return nil, fmt.Errorf("-prompt: %w", err)
	}
	return ids, nil
}

// dumpLogits writes the logits of o.tokens in the chosen form.
func dumpLogits(m *model.Model[float32], o *options) error {
	v := m.Config().VocabSize
	var logits []float32
	if o.mode == "full" {
		var err error
		if logits, err = m.Forward(o.tokens); err != nil {
			return err
		}
	} else {
		st := m.NewState()
		logits = make([]float32, len(o.tokens)*v)
		for i, t := range o.tokens {
			if err := m.Step(st, t, logits[i*v:(i+1)*v]); err != nil {
				return err
			}
		}
	}
	t := safetensors.F32Tensor("logits", []int{len(o.tokens), v}, logits)
	if err := safetensors.WriteFile(o.dumpLogits, []safetensors.Tensor{t}, map[string]string{"mode": o.mode}); err != nil {
		return fmt.Errorf("dump logits: %w", err)
	}
	return nil
}

// generate runs the CPU engine on m (which stays open: run closes it).
func generate(ctx context.Context, m *model.Model[float32], o *options, tok *tokenizer.Tokenizer, stdout io.Writer) error {
	sess, err := engine.NewCPU(m).NewSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	return generateOn(ctx, sess, m.Config(), o, tok, stdout)
}

// generateOn consumes the prompt on sess (chunkwise with -mode full, token
// by token with -mode step), then streams o.n tokens drawn by
// engine.Generate: as text through tok's streaming decoder when tok is not
// nil, as ids otherwise.
func generateOn(ctx context.Context, sess engine.Session, cfg *model.Config, o *options, tok *tokenizer.Tokenizer, stdout io.Writer) error {
	var err error
	if o.mode == "full" {
		err = sess.Prefill(ctx, o.tokens)
	} else {
		for _, t := range o.tokens {
			if err = sess.Step(t); err != nil {
				break
			}
		}
	}
	if err != nil {
		return err
	}
	eos := cfg.EOS
	if eos < 0 && tok != nil {
		eos = tok.EOS()
	}
	out := newTokenWriter(stdout, tok)
	_, err = engine.Generate(ctx, sess, nil, engine.Options{MaxTokens: o.n, Params: o.params, EOS: eos, IgnoreEOS: o.ignoreEOS},
		func(id int) error { return out.write(id, id == eos && !o.ignoreEOS) })
	if err != nil {
		out.end()
		return err
	}
	return out.end()
}

// tokenWriter prints generated tokens: ids separated by spaces, or, with a
// tokenizer, their text as soon as it forms whole characters.
type tokenWriter struct {
	w   io.Writer
	dec *tokenizer.StreamDecoder
	n   int
}

func newTokenWriter(w io.Writer, tok *tokenizer.Tokenizer) *tokenWriter {
	tw := &tokenWriter{w: w}
	if tok != nil {
		tw.dec = tok.NewStreamDecoder()
	}
	return tw
}

// write prints one token; eos is the end-of-sequence token, which is shown
// as an id but not as text.
func (tw *tokenWriter) write(id int, eos bool) error {
	var s string
	switch {
	case tw.dec == nil && tw.n == 0:
		s = strconv.Itoa(id)
	case tw.dec == nil:
		s = " " + strconv.Itoa(id)
	case !eos:
		s = tw.dec.Add(id)
	}
	tw.n++
	_, err := io.WriteString(tw.w, s)
	return err
}

// end prints what the decoder holds back and a newline.
func (tw *tokenWriter) end() error {
	s := "\n"
	if tw.dec != nil {
		s = tw.dec.Flush() + s
	}
	_, err := io.WriteString(tw.w, s)
	return err
}
