// Package control holds If, Loop, Scan, and the sequence and optional operators.
package control
