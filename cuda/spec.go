package cuda

// KernelSpec describes one kernel's entry point: the module (the .cu file it
// comes from) and its parameters, one letter each: 'p' a device pointer, 'i'
// an int64, 'f' a float64. Every parameter is 8 bytes, the only size
// gorgonia.org/cu's launcher passes correctly.
type KernelSpec struct {
	Module string
	Name   string
	Params string
}

// Specs lists every kernel the PTX must provide, as the launchers call
// them. TestEntries holds the committed PTX to it.
func Specs() []KernelSpec {
	return []KernelSpec{
		{"adamw", "xl_sumsq", "ppi"},
		{"adamw", "xl_clip_scale", "ppif"},
		{"adamw", "xl_adamw", "pppppiffffff"},
		{"conv", "xl_conv_fwd", "ppppiiiii"},
		{"conv", "xl_conv_bwd_x", "pppiiii"},
		{"conv", "xl_conv_bwd_w", "ppppiiiii"},
		{"elementwise", "xl_add", "pppi"},
		{"elementwise", "xl_mul", "pppi"},
		{"elementwise", "xl_axpy", "ppfi"},
		{"elementwise", "xl_scale", "ppfi"},
		{"elementwise", "xl_fill", "pfi"},
		{"elementwise", "xl_add_bias", "ppii"},
		{"elementwise", "xl_bias_grad", "ppii"},
		{"elementwise", "xl_act_fwd", "ppii"},
		{"elementwise", "xl_act_bwd", "pppii"},
		{"elementwise", "xl_glu_fwd", "ppiii"},
		{"elementwise", "xl_glu_bwd", "pppiii"},
		{"elementwise", "xl_embed", "pppiii"},
		{"elementwise", "xl_embed_bwd", "pppiii"},
		{"gates", "xl_softcap_fwd", "ppfi"},
		{"gates", "xl_softcap_bwd", "pppfi"},
		{"gates", "xl_sigmoid_gate_fwd", "pppi"},
		{"gates", "xl_sigmoid_gate_bwd", "pppppi"},
		{"gates", "xl_mlstm_out_fwd", "pppppiii"},
		{"gates", "xl_mlstm_out_bwd", "pppppppp" + "iii"},
		{"gates", "xl_mlstm_out_bwd_skip", "ppppiii"},
		{"matmul", "xl_gemm", "pppiiiiiiiiiiiff"},
		{"mlstm", "xl_mlstm_fwd", "ppppppppppp" + "iiiiii" + "iiiii" + "fff"},
		{"mlstm_bwd", "xl_mlstm_bwd_prep", "pppppppp" + "iiiiii" + "f"},
		{"mlstm_bwd", "xl_mlstm_bwd_rows", "pppppppppppppp" + "iiiii" + "iiiii" + "fff"},
		{"mlstm_bwd", "xl_mlstm_bwd_cols", "pppppppppppppp" + "iiiii" + "iiiii" + "fff"},
		{"mlstm_bwd", "xl_mlstm_bwd_gates", "ppppp" + "iiii"},
		{"norm", "xl_layernorm_fwd", "ppppp" + "iiii" + "f"},
		{"norm", "xl_layernorm_bwd", "pppppp" + "iiii"},
		{"norm", "xl_layernorm_bwd_w", "ppppp" + "iii"},
		{"norm", "xl_rmsnorm_fwd", "pppp" + "ii" + "f"},
		{"norm", "xl_rmsnorm_bwd", "ppppp" + "ii"},
		{"norm", "xl_rmsnorm_bwd_w", "pppp" + "ii"},
		{"quant", "xl_f32_to_f16_k", "ppi"},
		{"quant", "xl_f32_to_bf16_k", "ppi"},
		{"quant", "xl_f16_to_f32_k", "ppi"},
		{"quant", "xl_bf16_to_f32_k", "ppi"},
		{"quant", "xl_quantize", "pppp" + "iii"},
		{"quant", "xl_dequantize", "ppp" + "iii"},
		{"slstm", "xl_slstm_fwd", "pppppppppppp" + "iiiii"},
		{"slstm", "xl_slstm_bwd", "ppppppp" + "iiii"},
		{"slstm", "xl_slstm_bwd_r", "ppp" + "iiii"},
		{"xent", "xl_xent", "pppp" + "ii" + "f"},
	}
}
