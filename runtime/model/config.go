// Package model is the readable reference implementation of both xLSTM families:
// the original xLSTM language model (mLSTM + sLSTM blocks, xLSTMLMModel) and
// xLSTM Large (the xLSTM-7B architecture). Section numbers in comments refer to
// the project's SPEC.md (the official NX-AI code written out as math).
package model

// Family names one of the two model architectures.
type Family int

const (
	// FamilyLM is the original xLSTM language model (xLSTMLMModel, SPEC §1.1–§6).
	FamilyLM Family = iota + 1
	// FamilyLarge is xLSTM Large, the xLSTM-7B architecture (SPEC §1.2, §8).
	FamilyLarge
)

// String returns the family's short name ("xlstm-lm" or "xlstm-large").
func (f Family) String() string {
	switch f {
	case FamilyLM:
		return "xlstm-lm"
	case FamilyLarge:
		return "xlstm-large"
	}
	return "unknown"
}

// Config describes a model of either family, with every derived size resolved.
// Build one with ParseConfigYAML, ParseConfigJSON or LoadConfig; they validate it.
type Config struct {
	Family       Family
	VocabSize    int
	EmbeddingDim int // D
	NumBlocks    int
	// EOS is the end-of-sequence token id, or -1 when the config names none
	// (the original LM's config has no tokens; HF config.json has eos_token_id).
	EOS int
	// BOS is the beginning-of-sequence token id, or -1 when none; ForceBOS
	// says a text prompt starts with it (HF force_bos_token_insert).
	BOS      int
	ForceBOS bool

	// LM holds the original-LM fields (Family == FamilyLM).
	LM LMConfig
	// Large holds the xLSTM Large fields (Family == FamilyLarge).
	Large LargeConfig
}

// LMConfig is the original xLSTM LM (xLSTMLMModelConfig, SPEC §1.1).
type LMConfig struct {
	ContextLength     int
	AddPostBlocksNorm bool
	Bias              bool // biases on the mLSTM layer's proj_up, q/k/v_proj, proj_down
	TieWeights        bool
	// BlockIsSLSTM[i] is true when block i is an sLSTM block (block_map).
	BlockIsSLSTM []bool
	MLSTM        MLSTMConfig // used by mLSTM blocks
	SLSTM        SLSTMConfig // used by sLSTM blocks
	// FFN is the sLSTM blocks' gated feed-forward; nil when the block has none.
	FFN *FFNConfig
}

// MLSTMConfig is the mLSTM layer (mLSTMLayerConfig, SPEC §1.1, §3).
type MLSTMConfig struct {
	NumHeads         int
	ConvKernelSize   int // 0 = no conv
	QKVProjBlockSize int
	ProjFactor       float64
	RoundUpTo        int  // round_proj_up_to_multiple_of
	RoundUp          bool // round_proj_up_dim_up
	Inner            int  // derived: I = _inner_embedding_dim
	HeadDim          int  // derived: DH = I / NumHeads
}

// SLSTMConfig is the sLSTM layer (sLSTMLayerConfig, SPEC §1.1, §5).
type SLSTMConfig struct {
	NumHeads        int
	ConvKernelSize  int    // 0 = no conv
	Backend         string // "vanilla" or "cuda": only the checkpoint layout differs (SPEC §5.3)
	GroupNormWeight bool
	HeadDim         int // derived: D / NumHeads
}

// FFNConfig is the sLSTM blocks' gated feed-forward (FeedForwardConfig, SPEC §5.4).
type FFNConfig struct {
	ProjFactor float64
	ActFn      string // gelu, relu, relu^2, sigmoid, swish, selu
	RoundUpTo  int
	RoundUp    bool
	Bias       bool
	Up         int // derived: P = _proj_up_dim
}

// LargeConfig is xLSTM Large (xLSTMLargeConfig, SPEC §1.2, §8).
type LargeConfig struct {
	NumHeads                  int
	UseBias                   bool
	NormEps                   float64
	NormReductionForceFloat32 bool
	AddOutNorm                bool
	QKDimFactor               float64
	VDimFactor                float64
	ChunkSize                 int
	Eps                       float64
	FFNProjFactor             float64
	FFNRoundUpTo              int
	GateSoftCap               float64 // 0 = none
	OutputLogitSoftCap        float64 // 0 = none
	WeightMode                string  // "single" or "fused"
	TieWordEmbeddings         bool

	// Derived sizes.
	QKDim  int // int(D*QKDimFactor)
	VDim   int // int(D*VDimFactor)
	DHQK   int // QKDim / NumHeads
	DHV    int // VDim / NumHeads
	FFNDim int // F
}
