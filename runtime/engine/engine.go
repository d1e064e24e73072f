// Package engine is what callers of a model use: an Engine is one loaded
// model on one backend (the CPU reference path here, WebGPU in
// runtime/webgpu), a Session is one sequence's recurrent state on it, and
// Generate runs the prompt-then-sample loop that cmd/generate, cmd/serve and
// the demo page share, so nothing re-implements generation.
package engine

import (
	"context"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/sample"
)

// Engine is one loaded model on one backend. Its methods are safe for
// concurrent use; each Session is not.
type Engine interface {
	// Backend names the backend: "cpu" or "webgpu".
	Backend() string
	// Config is the model's configuration (not to be modified).
	Config() *model.Config
	// NewSession returns a session at the start of a sequence.
	NewSession() (Session, error)
	// Close releases the engine's resources; its sessions must not be used
	// afterwards.
	Close() error
}

// Session is the recurrent state of one sequence on an engine, plus the
// next-token logits after the last token it consumed.
type Session interface {
	// Prefill consumes tokens (at least one) with the chunkwise form. It
	// checks ctx between chunks.
	Prefill(ctx context.Context, tokens []int) error
	// Step consumes one token with the recurrent form.
	Step(token int) error
	// Logits returns the next-token logits after the last token consumed
	// (VocabSize values), valid until the next call on the session. It is
	// an error before any token was consumed.
	Logits() ([]float32, error)
	// Sample draws the next token from the current logits with s. A device
	// backend may filter and draw on the device; the token must be the one
	// s.Next(Logits()) would give.
	Sample(s *sample.Sampler) (int, error)
	// Pos is the number of tokens consumed.
	Pos() int
	// MarshalState encodes the recurrent state (see model.State), readable by
	// RestoreState of any backend's session of the same model.
	MarshalState() ([]byte, error)
	// RestoreState replaces the state by one MarshalState wrote; the logits
	// are then unknown until the next Prefill or Step.
	RestoreState(data []byte) error
	// Reset returns to the start of a sequence.
	Reset()
	// Close releases the session's resources.
	Close()
}
