package model

// Known keys and allowed values of the config formats. They are switches and functions rather
// than package-level maps or slices so that no caller can change them.

// lmOnlyKey reports keys of the original LM (xLSTMLMModelConfig ⊂ xLSTMBlockStackConfig)
// that xLSTM Large does not have.
func lmOnlyKey(k string) bool {
	switch k {
	case "mlstm_block", "slstm_block", "context_length", "add_post_blocks_norm", "bias", "dropout",
		"slstm_at", "_block_map", "tie_weights", "weight_decay_on_embedding", "add_embedding_dropout":
		return true
	}
	return false
}

// sharedKey reports keys of both families. eos_token_id, bos_token_id and
// force_bos_token_insert are not official dataclass fields: they are extensions so that the
// special tokens read from a Hugging Face config.json survive Config.YAML.
func sharedKey(k string) bool {
	switch k {
	case "vocab_size", "embedding_dim", "num_blocks", "eos_token_id", "bos_token_id", "force_bos_token_insert":
		return true
	}
	return false
}

// largeOnlyKey reports keys of xLSTMLargeConfig that the original LM does not have.
// tie_word_embeddings is an extension, so that a config read from a Hugging Face config.json
// can be written back as YAML.
func largeOnlyKey(k string) bool {
	switch k {
	case "num_heads", "use_bias", "norm_eps", "norm_reduction_force_float32", "add_out_norm",
		"qk_dim_factor", "v_dim_factor", "chunkwise_kernel", "sequence_kernel", "step_kernel", "mode",
		"chunk_size", "return_last_states", "autocast_kernel_dtype", "eps", "inference_state_dtype",
		"ffn_proj_factor", "ffn_round_up_to_multiple_of", "gate_soft_cap", "output_logit_soft_cap",
		"weight_mode", "tie_word_embeddings":
		return true
	}
	return false
}

// hfModelKey reports keys only the transformers xLSTMConfig defines (beyond xLSTMLargeConfig's).
func hfModelKey(k string) bool {
	switch k {
	case "hidden_size", "num_hidden_layers", "use_cache", "pad_token_id", "bos_token_id",
		"max_inference_chunksize", "force_bos_token_insert":
		return true
	// Historical fields of NX-AI/xLSTM-7b's published config.json.
	case "add_embedding_dropout", "embedding_dropout", "add_forward_backend_padding",
		"add_post_blocks_norm", "add_post_norm", "add_qk_norm", "cell_norm_eps", "head_dim",
		"igate_bias_init_range", "mlstm_round_up_to_multiple_of":
		return true
	}
	return false
}

// hfStandardKey reports standard PretrainedConfig keys that a saved config.json may hold
// (any value is accepted: they do not change the model).
func hfStandardKey(k string) bool {
	switch k {
	case "model_type", "architectures", "transformers_version", "torch_dtype", "dtype",
		"_name_or_path", "_commit_hash", "_attn_implementation", "_attn_implementation_autoset",
		"attn_implementation", "output_hidden_states", "output_attentions", "return_dict", "torchscript",
		"use_bfloat16", "tf_legacy_loss", "pruned_heads", "chunk_size_feed_forward", "is_encoder_decoder",
		"is_decoder", "cross_attention_hidden_size", "add_cross_attention", "tie_encoder_decoder",
		"finetuning_task", "id2label", "label2id", "num_labels", "tokenizer_class", "prefix",
		"sep_token_id", "decoder_start_token_id", "task_specific_params", "problem_type",
		"quantization_config", "max_length", "min_length", "do_sample", "early_stopping", "num_beams",
		"num_beam_groups", "diversity_penalty", "temperature", "top_k", "top_p", "typical_p",
		"repetition_penalty", "length_penalty", "no_repeat_ngram_size", "encoder_no_repeat_ngram_size",
		"bad_words_ids", "num_return_sequences", "output_scores", "return_dict_in_generate",
		"forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values",
		"exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens":
		return true
	}
	return false
}

func lmKey(k string) bool    { return lmOnlyKey(k) || sharedKey(k) }
func largeKey(k string) bool { return largeOnlyKey(k) || sharedKey(k) }
func hfKey(k string) bool    { return largeKey(k) || hfModelKey(k) || hfStandardKey(k) }

// mlstmBlockKey reports the keys of mlstm_block (mLSTMBlockConfig).
func mlstmBlockKey(k string) bool {
	switch k {
	case "mlstm", "_num_blocks", "_block_idx":
		return true
	}
	return false
}

// mlstmLayerKey reports the keys of mlstm_block.mlstm (mLSTMLayerConfig).
func mlstmLayerKey(k string) bool {
	switch k {
	case "proj_factor", "round_proj_up_dim_up", "round_proj_up_to_multiple_of", "_proj_up_dim",
		"conv1d_kernel_size", "qkv_proj_blocksize", "num_heads", "embedding_dim", "bias", "dropout",
		"context_length", "_num_blocks", "_inner_embedding_dim":
		return true
	}
	return false
}

// slstmBlockKey reports the keys of slstm_block (sLSTMBlockConfig).
func slstmBlockKey(k string) bool {
	switch k {
	case "slstm", "feedforward", "_num_blocks", "_block_idx":
		return true
	}
	return false
}

// slstmLayerKey reports the keys of slstm_block.slstm (sLSTMLayerConfig ⊃ sLSTMCellConfig).
func slstmLayerKey(k string) bool {
	switch k {
	case "hidden_size", "num_heads", "num_states", "backend", "function", "bias_init",
		"recurrent_weight_init", "_block_idx", "_num_blocks", "num_gates", "gradient_recurrent_cut",
		"gradient_recurrent_clipval", "forward_clipval", "batch_size", "input_shape",
		"internal_input_shape", "output_shape", "constants", "dtype", "dtype_b", "dtype_r", "dtype_w",
		"dtype_g", "dtype_s", "dtype_a", "enable_automatic_mixed_precision", "initial_val",
		"embedding_dim", "conv1d_kernel_size", "group_norm_weight", "dropout":
		return true
	}
	return false
}

// ffnKey reports the keys of slstm_block.feedforward (FeedForwardConfig).
func ffnKey(k string) bool {
	switch k {
	case "proj_factor", "round_proj_up_dim_up", "round_proj_up_to_multiple_of", "_proj_up_dim",
		"act_fn", "embedding_dim", "dropout", "bias", "ff_type", "_num_blocks":
		return true
	}
	return false
}

// Allowed values of the string-valued fields; each call returns a fresh slice.

func actFns() []string        { return []string{"gelu", "relu", "relu^2", "sigmoid", "swish", "selu"} }
func slstmBackends() []string { return []string{"vanilla", "cuda"} }
func weightModes() []string   { return []string{"single", "fused"} }
func dtypeNames() []string    { return []string{"float32", "bfloat16", "float16"} }
func backendModes() []string  { return []string{"train", "train_with_padding", "inference"} }
func biasInits() []string {
	return []string{"powerlaw_blockdependent", "small_init", "standard", "zeros"}
}
func recurrentInits() []string      { return []string{"zeros", "standard"} }
func internalInputShapes() []string { return []string{"SBNGH", "SBGNH", "SBNHG"} }
