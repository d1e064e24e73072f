// Package train trains xLSTM models on the CPU: hand-written backward passes
// of both families' full-sequence forwards (checked against the official
// code's gradients and by finite differences), AdamW, global-norm gradient
// clipping and a warm-up + cosine learning-rate schedule.
//
// Parameters live in Params (float32, official names, the order of
// model.Tensors); a Trainer turns parameters and a batch of token sequences
// into the mean next-token cross-entropy and its gradient.
package train

import (
	"errors"
	"fmt"
	"slices"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// Params holds a model's trainable tensors as float32, under the official
// names and in the order of model.Tensors(cfg) (a tied head appears once, as
// the embedding).
type Params struct {
	Specs []model.TensorSpec
	Data  [][]float32 // Data[i] has numel(Specs[i].Shape) values, row-major
}

// NewParams returns all-zero parameters for cfg.
func NewParams(cfg *model.Config) (*Params, error) {
	if cfg == nil {
		return nil, errors.New("train: nil config")
	}
	specs, err := model.Tensors(cfg)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	p := &Params{Specs: specs, Data: make([][]float32, len(specs))}
	for i, s := range specs {
		p.Data[i] = make([]float32, numel(s.Shape))
	}
	return p, nil
}

// ReadParams reads cfg's parameters from a checkpoint or bundle. It accepts
// what model.New accepts: a tied head stored twice, an sLSTM recurrent
// kernel in the cuda layout, and the Hugging Face names of xLSTM Large.
func ReadParams(cfg *model.Config, src model.Source) (*Params, error) {
	if src == nil {
		return nil, errors.New("train: nil source")
	}
	p, err := NewParams(cfg)
	if err != nil {
		return nil, err
	}
	var errs []error
	for i, s := range p.Specs {
		if err := readTensor(cfg, src, s, p.Data[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("train: read params: %w", err)
	}
	return p, nil
}

// Source returns the parameters as a model.Source, so that
// model.New[float32](cfg, p.Source()) builds the inference model. It shares
// p's memory.
func (p *Params) Source() model.Source { return paramSource{p} }

// Clone returns a deep copy.
func (p *Params) Clone() *Params {
	q := &Params{Specs: make([]model.TensorSpec, len(p.Specs)), Data: make([][]float32, len(p.Data))}
	for i, s := range p.Specs {
		q.Specs[i] = model.TensorSpec{Name: s.Name, Shape: slices.Clone(s.Shape)}
	}
	for i, d := range p.Data {
		q.Data[i] = slices.Clone(d)
	}
	return q
}

// Zero sets every value to 0.
func (p *Params) Zero() {
	for _, d := range p.Data {
		clear(d)
	}
}

// Add adds q to p elementwise (gradient accumulation). Both must have the
// same layout.
func (p *Params) Add(q *Params) {
	for i, d := range p.Data {
		s := q.Data[i][:len(d)]
		for j := range d {
			d[j] += s[j]
		}
	}
}

// Scale multiplies every value by s.
func (p *Params) Scale(s float32) {
	for _, d := range p.Data {
		for j := range d {
			d[j] *= s
		}
	}
}

// Len returns the total number of values.
func (p *Params) Len() int {
	n := 0
	for _, d := range p.Data {
		n += len(d)
	}
	return n
}

// Index returns the position of the tensor called name, or -1.
func (p *Params) Index(name string) int {
	for i, s := range p.Specs {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// check reports whether p has exactly the layout specs describes.
func (p *Params) check(what string, specs []model.TensorSpec) error {
	if p == nil {
		return fmt.Errorf("train: nil %s", what)
	}
	if len(p.Specs) != len(specs) || len(p.Data) != len(specs) {
		return fmt.Errorf("train: %s has %d tensors, the config wants %d", what, len(p.Data), len(specs))
	}
	for i, s := range specs {
		if p.Specs[i].Name != s.Name || !slices.Equal(p.Specs[i].Shape, s.Shape) {
			return fmt.Errorf("train: %s tensor %d is %q %v, the config wants %q %v",
				what, i, p.Specs[i].Name, p.Specs[i].Shape, s.Name, s.Shape)
		}
		if len(p.Data[i]) != numel(s.Shape) {
			return fmt.Errorf("train: %s tensor %q has %d values, want %d", what, s.Name, len(p.Data[i]), numel(s.Shape))
		}
	}
	return nil
}

// familyTrainer is one family's loss and gradient. p and g have been checked
// against the config and batch is valid (B ≥ 1 sequences of one length
// S ≥ 2, ids < vocab). g is overwritten when wantGrad; otherwise it is nil.
type familyTrainer interface {
	lossAndGrad(p *Params, batch [][]int, g *Params, wantGrad bool) (float64, error)
	close()
}

// Trainer computes the loss and its gradients for one config: the
// full-sequence forward (parallel mLSTM form + sLSTM recurrence for the
// original LM, chunkwise for xLSTM Large), the mean next-token cross-entropy
// over all B×(S−1) positions of a batch of B sequences of equal length S ≥ 2,
// as the official code's F.cross_entropy(logits[:, :-1], tokens[:, 1:]).
// A Trainer is not safe for concurrent use; results are deterministic for a
// given thread count.
type Trainer struct {
	cfg   *model.Config
	specs []model.TensorSpec
	fam   familyTrainer
}

// NewTrainer prepares a trainer for cfg that runs on threads goroutines
// (values < 1 mean 1).
func NewTrainer(cfg *model.Config, threads int) (*Trainer, error) {
	if cfg == nil {
		return nil, errors.New("train: nil config")
	}
	specs, err := model.Tensors(cfg)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	threads = max(threads, 1)
	var fam familyTrainer
	switch cfg.Family {
	case model.FamilyLM:
		fam, err = newLMTrainer(cfg, threads)
	case model.FamilyLarge:
		fam, err = newLargeTrainer(cfg, threads)
	default:
		err = fmt.Errorf("unknown model family %d", cfg.Family)
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return &Trainer{cfg: cfg, specs: specs, fam: fam}, nil
}

// LossAndGrad returns the loss of batch under p and writes its gradient
// with respect to every parameter into g (overwritten; same layout as p).
func (t *Trainer) LossAndGrad(p *Params, batch [][]int, g *Params) (loss float64, err error) {
	if err := p.check("params", t.specs); err != nil {
		return 0, err
	}
	if err := g.check("gradient", t.specs); err != nil {
		return 0, err
	}
	if err := checkBatch(batch, t.cfg.VocabSize); err != nil {
		return 0, err
	}
	return t.fam.lossAndGrad(p, batch, g, true)
}

// Loss returns the loss of batch under p without computing gradients.
func (t *Trainer) Loss(p *Params, batch [][]int) (float64, error) {
	if err := p.check("params", t.specs); err != nil {
		return 0, err
	}
	if err := checkBatch(batch, t.cfg.VocabSize); err != nil {
		return 0, err
	}
	return t.fam.lossAndGrad(p, batch, nil, false)
}

// Close releases the trainer's worker goroutines.
func (t *Trainer) Close() {
	if t != nil && t.fam != nil {
		t.fam.close()
		t.fam = nil
	}
}

// checkBatch validates B ≥ 1 sequences of one length S ≥ 2 with ids in
// [0, vocab).
func checkBatch(batch [][]int, vocab int) error {
	if len(batch) == 0 {
		return errors.New("train: empty batch")
	}
	s := len(batch[0])
	if s < 2 {
		return fmt.Errorf("train: sequence length %d, need at least 2", s)
	}
	for b, seq := range batch {
		if len(seq) != s {
			return fmt.Errorf("train: sequence %d has length %d, sequence 0 has %d", b, len(seq), s)
		}
		for t, id := range seq {
			if id < 0 || id >= vocab {
				return fmt.Errorf("train: sequence %d position %d: token %d outside the vocabulary [0, %d)", b, t, id, vocab)
			}
		}
	}
	return nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// paramSource serves Params as a model.Source (float32 tensors).
type paramSource struct{ p *Params }

func (s paramSource) Names() []string {
	names := make([]string, len(s.p.Specs))
	for i, sp := range s.p.Specs {
		names[i] = sp.Name
	}
	return names
}

func (s paramSource) Info(name string) (safetensors.Info, bool) {
	i := s.p.Index(name)
	if i < 0 {
		return safetensors.Info{}, false
	}
	sp := s.p.Specs[i]
	return safetensors.Info{Name: sp.Name, DType: safetensors.F32, Shape: slices.Clone(sp.Shape),
		Size: 4 * int64(len(s.p.Data[i]))}, true
}

func (s paramSource) ReadFloat32(name string, dst []float32) error {
	d, err := s.lookup(name, len(dst))
	if err != nil {
		return err
	}
	copy(dst, d)
	return nil
}

func (s paramSource) ReadFloat64(name string, dst []float64) error {
	d, err := s.lookup(name, len(dst))
	if err != nil {
		return err
	}
	for i, v := range d {
		dst[i] = float64(v)
	}
	return nil
}

func (s paramSource) lookup(name string, n int) ([]float32, error) {
	i := s.p.Index(name)
	if i < 0 {
		return nil, fmt.Errorf("tensor %q not found", name)
	}
	if len(s.p.Data[i]) != n {
		return nil, fmt.Errorf("tensor %q has %d values, destination %d", name, len(s.p.Data[i]), n)
	}
	return s.p.Data[i], nil
}
