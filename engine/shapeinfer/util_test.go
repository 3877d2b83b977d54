package shapeinfer

import (
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gonyx/gonyx/engine/graph"
)

// repoRoot is the module root (two levels above this package).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func typeStr(t *graph.Type) string {
	if t == nil {
		return "?"
	}
	s := t.Elem.String()
	if t.Shape == nil {
		return s + "[*]"
	}
	var ds []string
	for _, d := range t.Shape {
		switch {
		case d.Value >= 0:
			ds = append(ds, itoa(d.Value))
		case d.Param != "":
			ds = append(ds, d.Param)
		default:
			ds = append(ds, "?")
		}
	}
	return s + "[" + strings.Join(ds, ",") + "]"
}

func itoa(v int64) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b []byte
	for v > 0 {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

// Exported for the external test package (which may import engine).
var (
	TypeStr  = typeStr
	InferRaw = infer
	Itoa     = itoa
	RepoRoot = repoRoot
)
