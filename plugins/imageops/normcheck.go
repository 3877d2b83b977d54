package imageops

// divMatchesTable runs vRow2DivAVX2 on every byte value, in every channel,
// and reports whether each result has exactly the table's bits: only then
// may the vertical pass compute the normalisation instead of looking it
// up. The row holds byte v at pixel v and the weights (1, 0) pass it
// through the resampling arithmetic unchanged.
func divMatchesTable(t *normTable) bool {
	if !haveAVX2 {
		return false
	}
	var r0, r1 [3 * 256]uint8
	for v := range 256 {
		r0[3*v], r0[3*v+1], r0[3*v+2] = uint8(v), uint8(v), uint8(v)
	}
	var planes [3][4 * 256]uint8
	vRow2DivAVX2(&planes[0][0], &planes[1][0], &planes[2][0], &r0[0], &r1[0], 1<<precisionBits, 0, t, 256/8)
	for c := range 3 {
		for v := range 256 {
			p := planes[c][4*v : 4*v+4]
			if uint32(p[0])|uint32(p[1])<<8|uint32(p[2])<<16|uint32(p[3])<<24 != t.bits[c][v] {
				return false
			}
		}
	}
	return true
}
