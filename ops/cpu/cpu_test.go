package cpu

import "testing"

func TestParse(t *testing.T) {
	for s, want := range map[string]Level{"generic": Generic, "AVX2": AVX2, " avx512 ": AVX512} {
		if got, err := Parse(s); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := Parse("sse9"); err == nil {
		t.Error("unknown level accepted")
	}
}

func TestLevelsEndAtDetected(t *testing.T) {
	ls := Levels()
	if ls[0] != Generic || ls[len(ls)-1] != Detected {
		t.Fatalf("Levels() = %v, detected %v", ls, Detected)
	}
	if Active > Detected {
		t.Fatalf("active %v above detected %v", Active, Detected)
	}
}
