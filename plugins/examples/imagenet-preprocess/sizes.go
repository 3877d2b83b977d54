package main

// The size arithmetic of torchvision 0.14's Resize(int) and CenterCrop,
// kept free of the SDK so it is unit-tested natively against values
// torchvision itself computed.

// resizedSize is the size torchvision's Resize(size) gives a w×h image: the
// shorter side becomes size, the longer int(size·long/short) — a float
// division truncated, as Python's int() does (both operands are exact in
// float64, so the division rounds exactly as Python's does).
func resizedSize(w, h, size int) (nw, nh int) {
	short, long := w, h
	if w > h {
		short, long = h, w
	}
	newLong := int(float64(size*long) / float64(short))
	if w <= h {
		return size, newLong
	}
	return newLong, size
}

// cropPlan says how CenterCrop(crop) cuts a w×h image: torchvision first pads
// with zeros on the sides that are shorter than crop (half on each side, the
// odd pixel on the right or bottom), then cuts the crop×crop square at (X, Y)
// of the padded image.
type cropPlan struct {
	PadL, PadT, PadR, PadB int
	X, Y                   int
}

func (p cropPlan) padded() bool { return p.PadL+p.PadT+p.PadR+p.PadB > 0 }

func centerCrop(w, h, crop int) cropPlan {
	var p cropPlan
	if crop > w {
		p.PadL, p.PadR = (crop-w)/2, (crop-w+1)/2
	}
	if crop > h {
		p.PadT, p.PadB = (crop-h)/2, (crop-h+1)/2
	}
	pw, ph := w+p.PadL+p.PadR, h+p.PadT+p.PadB
	p.X, p.Y = roundHalfEven(pw-crop), roundHalfEven(ph-crop)
	return p
}

// roundHalfEven is int(round(n / 2.0)) in Python 3, whose round() sends
// halves to the even neighbour: 117/2 = 58.5 → 58, 3/2 = 1.5 → 2.
func roundHalfEven(n int) int {
	q := n / 2
	if n%2 == 1 && q%2 == 1 {
		q++
	}
	return q
}

// padCrop applies a plan whose padding is not zero: the crop×crop result is
// black where the padding shows and the image elsewhere. pix is RGB8 w×h.
func padCrop(pix []byte, w, h, crop int, p cropPlan) []byte {
	out := make([]byte, crop*crop*3)
	// Where the image's pixel (0,0) lands in the output, and the overlap.
	ox, oy := p.PadL-p.X, p.PadT-p.Y
	x0, y0 := max(0, -ox), max(0, -oy) // first image column/row shown
	x1, y1 := min(w, crop-ox), min(h, crop-oy)
	if x0 >= x1 {
		return out
	}
	for y := y0; y < y1; y++ {
		src := pix[(y*w+x0)*3 : (y*w+x1)*3]
		copy(out[((y+oy)*crop+x0+ox)*3:], src)
	}
	return out
}
