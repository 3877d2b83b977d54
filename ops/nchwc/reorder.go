package nchwc

import "github.com/gonyx/gonyx/ops/linalg"

// reorderTile is the number of pixels one work item moves: 16 channel
// planes × 256 pixels is 16 KiB each way, cache-resident while it is
// transposed.
const reorderTile = 256

// ReorderIn converts NCHW data x ([n][c][hw]) to the blocked layout y
// ([n][Blocks(c)][hw][16]); padding channels are written as 0.
// Preconditions: n, c, hw >= 1, len(x) >= n·c·hw, len(y) >=
// n·Blocks(c)·hw·16. Work is split over (image, block, pixel tile) on up to
// threads goroutines (<= 0: the default).
func ReorderIn(x []float32, n, c, hw int, y []float32, threads int) {
	reorder(x, n, c, hw, y, threads, true)
}

// ReorderOut converts blocked data x ([n][Blocks(c)][hw][16]) to NCHW y
// ([n][c][hw]), dropping padding channels. Preconditions as ReorderIn's
// with the roles of x and y swapped.
func ReorderOut(x []float32, n, c, hw int, y []float32, threads int) {
	reorder(x, n, c, hw, y, threads, false)
}

func reorder(x []float32, n, c, hw int, y []float32, threads int, in bool) {
	if n < 1 || c < 1 || hw < 1 {
		return
	}
	cb := Blocks(c)
	tiles := (hw + reorderTile - 1) / reorderTile
	items := n * cb * tiles
	grain := max(1, (1<<14)/(min(hw, reorderTile)*Block))
	j := reorderJob{x: x, y: y, c: c, hw: hw, cb: cb, tiles: tiles, in: in}
	if linalg.Serial(threads, items, grain) {
		j.items(0, items) // j stays on the stack
		return
	}
	shared := new(reorderJob) // the workers' copy
	*shared = j
	linalg.ParallelN(threads, items, grain, shared.items)
}

// reorderJob is one reorder call.
type reorderJob struct {
	x, y             []float32
	c, hw, cb, tiles int
	in               bool
}

// items reorders tiles [i0, i1) (over image, block, tile).
func (j *reorderJob) items(i0, i1 int) {
	c, hw, cb, tiles, x, y := j.c, j.hw, j.cb, j.tiles, j.x, j.y
	for i := i0; i < i1; i++ {
		t := i % tiles
		bc := i / tiles // image·CB + block
		b, k := bc/cb, bc%cb
		ch := min(Block, c-k*Block)   // real channels in this block
		plane := (b*c + k*Block) * hw // first channel plane in NCHW
		blk := bc * hw * Block        // the block in the blocked tensor
		p0, p1 := t*reorderTile, min(hw, (t+1)*reorderTile)
		if j.in {
			reorderInTile(x[plane:plane+ch*hw], hw, ch, p0, p1, y[blk:blk+hw*Block])
		} else {
			reorderOutTile(x[blk:blk+hw*Block], hw, ch, p0, p1, y[plane:plane+ch*hw])
		}
	}
}

// reorderInGo moves pixels [p0, p1) of ch channel planes (x, hw apart)
// into one block y ([hw][16]), zeroing lanes ch..15.
func reorderInGo(x []float32, hw, ch, p0, p1 int, y []float32) {
	for p := p0; p < p1; p++ {
		clear(y[p*Block+ch : (p+1)*Block])
	}
	for k := 0; k < ch; k++ {
		src := x[k*hw+p0 : k*hw+p1]
		dst := y[p0*Block+k:]
		for j, v := range src {
			dst[j*Block] = v
		}
	}
}

// reorderOutGo is reorderInGo's inverse (lanes ch..15 are dropped).
func reorderOutGo(x []float32, hw, ch, p0, p1 int, y []float32) {
	for k := 0; k < ch; k++ {
		dst := y[k*hw+p0 : k*hw+p1]
		src := x[p0*Block+k:]
		for j := range dst {
			dst[j] = src[j*Block]
		}
	}
}
