package bundle

import "strings"

// Policy picks a tensor's bundle dtype for the requested output dtype
// (f32, f16, bf16, q8 or q4, lower case), as cmd/convert and the trainer
// write bundles; group is the Q8/Q4 group size.
//
//   - f32: everything F32.
//   - f16 / bf16: matrices and higher-rank tensors in F16 / BF16; vectors
//     (norm weights, biases, learnable_skip) stay F32 (they are tiny).
//   - q8 / q4: 2-D matrices whose input (last) dimension is a multiple of
//     the group are quantised: the linear projections and the LM head in
//     the requested format, the embedding table in Q8 for both (it is the
//     most error-sensitive matrix: on the reference models, Q8 instead of
//     Q4 there lifts q4's top-1 agreement by about ten points for a few
//     percent of the bundle, and only one row of it is read per token).
//     The gate pre-activation matrices (NH rows; their outputs go through
//     exp and soft-caps) stay F16, as do the head-wise 3-D projections, the
//     convolutions and the sLSTM recurrent kernel; vectors stay F32.
func Policy(name string, shape []int, dtype string, group int) (string, int) {
	switch dtype {
	case "f32":
		return F32, 0
	case "f16", "bf16":
		if len(shape) < 2 {
			return F32, 0
		}
		return strings.ToUpper(dtype), 0
	}
	if len(shape) < 2 {
		return F32, 0
	}
	if len(shape) != 2 || shape[1]%group != 0 || isGate(name) {
		return F16, 0
	}
	if isEmbedding(name) {
		return Q8, group
	}
	return strings.ToUpper(dtype), group
}

func isGate(name string) bool {
	for _, g := range []string{".igate.", ".fgate.", "igate_preact.", "fgate_preact.", "ifgate_preact."} {
		if strings.Contains(name, g) {
			return true
		}
	}
	return false
}

func isEmbedding(name string) bool {
	return name == "embedding.weight" || name == "token_embedding.weight"
}
