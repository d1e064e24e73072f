package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/sample"
)

// prefillChunk is how many tokens Prefill hands the model at once between
// checks of the context.
const prefillChunk = 256

// CPU is the Engine of the CPU path: runtime/model in float32 with the
// runtime/kernels fast paths.
type CPU struct {
	m *model.Model[float32]
}

// NewCPU wraps a loaded model. The engine owns m from now on (Close closes it).
func NewCPU(m *model.Model[float32]) *CPU { return &CPU{m: m} }

// Backend returns "cpu".
func (e *CPU) Backend() string { return "cpu" }

// Config returns the model's configuration.
func (e *CPU) Config() *model.Config { return e.m.Config() }

// Model returns the underlying reference model.
func (e *CPU) Model() *model.Model[float32] { return e.m }

// NewSession returns a session with a zero state.
func (e *CPU) NewSession() (Session, error) {
	return &cpuSession{m: e.m, st: e.m.NewState(), logits: make([]float32, e.m.Config().VocabSize)}, nil
}

// Close stops the model's worker goroutines.
func (e *CPU) Close() error {
	e.m.Close()
	return nil
}

type cpuSession struct {
	m      *model.Model[float32]
	st     *model.State[float32]
	logits []float32
	valid  bool // logits belong to the current state
}

func (s *cpuSession) Prefill(ctx context.Context, tokens []int) error {
	if len(tokens) == 0 {
		return errors.New("prefill: no tokens")
	}
	for len(tokens) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(tokens), prefillChunk)
		s.valid = false
		if err := s.m.Prefill(s.st, tokens[:n], s.logits); err != nil {
			return err
		}
		s.valid = true
		tokens = tokens[n:]
	}
	return nil
}

func (s *cpuSession) Step(token int) error {
	s.valid = false
	if err := s.m.Step(s.st, token, s.logits); err != nil {
		return err
	}
	s.valid = true
	return nil
}

func (s *cpuSession) Logits() ([]float32, error) {
	if !s.valid {
		return nil, errors.New("logits: no token consumed since the start or the last restore")
	}
	return s.logits, nil
}

func (s *cpuSession) Sample(smp *sample.Sampler) (int, error) {
	l, err := s.Logits()
	if err != nil {
		return 0, err
	}
	return smp.Next(l)
}

func (s *cpuSession) Pos() int { return s.st.Pos() }

func (s *cpuSession) MarshalState() ([]byte, error) { return s.st.MarshalBinary() }

func (s *cpuSession) RestoreState(data []byte) error {
	s.valid = false
	if err := s.st.UnmarshalBinary(data); err != nil {
		return fmt.Errorf("restore state: %w", err)
	}
	return nil
}

func (s *cpuSession) Reset() {
	s.st.Reset()
	s.valid = false
}

func (s *cpuSession) Close() {}
