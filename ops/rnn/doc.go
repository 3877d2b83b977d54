// Package rnn holds the recurrent kernels RNN, LSTM and GRU.
package rnn
