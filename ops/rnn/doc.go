// Package rnn holds the recurrent kernels RNN, LSTM and GRU.
//
// All three share one driver: the input projection X·Wᵀ (plus biases) is
// computed for every time step at once, then each step multiplies the
// previous hidden state by Rᵀ and applies the cell's gate equations. float32
// and float64 compute in their own type; float16 and bfloat16 widen to
// float32 and round the outputs back.
//
// sequence_lens: a batch item of length L < seq_length is processed for L
// steps only (the reverse direction starts at step L-1); its Y rows past L
// are zero and its Y_h / Y_c are the state after its last valid step. An
// item of length 0 gets zero Y_h / Y_c, as ONNX Runtime does.
package rnn
