//go:build !amd64 || purego

package nchwc

func reorderInTile(x []float32, hw, ch, p0, p1 int, y []float32) { reorderInGo(x, hw, ch, p0, p1, y) }

func reorderOutTile(x []float32, hw, ch, p0, p1 int, y []float32) {
	reorderOutGo(x, hw, ch, p0, p1, y)
}
