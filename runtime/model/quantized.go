package model

// Quantised weights: a float32 model built from a source that hands over
// stored payloads (a weight bundle) keeps its Q8/Q4 matrices quantised and
// multiplies them with runtime/kernels' QMat kernels, which round exactly
// as the float32 kernels do on the dequantised matrices. Weights() then
// reports those roles as nil.

// Quantized reports whether any weight matrix of m stayed quantised.
func (m *Model[F]) Quantized() bool {
	if m.embedQ != nil || m.headQ != nil {
		return true
	}
	for _, b := range m.large {
		for _, q := range [...]bool{b.qQ != nil, b.kQ != nil, b.vQ != nil, b.oQ != nil, b.outProjQ != nil, b.upGateQ != nil, b.upQ != nil, b.downQ != nil} {
			if q {
				return true
			}
		}
	}
	for _, b := range m.lm {
		if (b.m != nil && (b.m.projUpQ != nil || b.m.projDownQ != nil)) || (b.s != nil && (b.s.ffnUpQ != nil || b.s.ffnDnQ != nil)) {
			return true
		}
	}
	return false
}

// Dequantizing wraps src so that a model built from it dequantises every
// Q8/Q4 tensor to float at load (the behaviour for any Source that is not
// a bundle), e.g. for a backend that wants all weights as floats.
func Dequantizing(src Source) Source { return plainSource{src} }

// plainSource hides everything of a Source but the Source methods.
type plainSource struct{ Source }
