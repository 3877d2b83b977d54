// Package signal holds DFT, STFT, window functions and MelWeightMatrix.
package signal
