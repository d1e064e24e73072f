package sample

import "fmt"

// RNGState returns the position of the Sampler's random stream (the PCG
// state, as math/rand/v2 encodes it). A Sampler given it with SetRNGState
// draws the same numbers from then on, so a generation saved mid-way (for
// example by the demo page) continues exactly as if never interrupted.
func (s *Sampler) RNGState() ([]byte, error) {
	b, err := s.rng.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("sample: random stream: %w", err)
	}
	return b, nil
}

// SetRNGState moves the random stream to a position RNGState returned. The
// settings (temperature, top-k, top-p) stay the Sampler's own. On error the
// stream is unchanged.
func (s *Sampler) SetRNGState(b []byte) error {
	saved := s.rng
	if err := s.rng.UnmarshalBinary(b); err != nil {
		s.rng = saved
		return fmt.Errorf("sample: random stream state (%d bytes): %w", len(b), err)
	}
	return nil
}
