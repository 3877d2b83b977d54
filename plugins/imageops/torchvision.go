package imageops

// The size arithmetic of torchvision 0.14's Resize(int) and CenterCrop, which
// Preprocess needs to know which part of the resized image it must compute.

// ResizedSize is the size torchvision's Resize(size) gives a w×h image: the
// shorter side becomes size, the longer int(size·long/short) — a float
// division truncated, as Python's int() does (both operands are exact in
// float64, so the division rounds exactly as Python's does).
func ResizedSize(w, h, size int) (nw, nh int) {
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

// CropPlan says how CenterCrop(crop) cuts a w×h image: torchvision first pads
// with zeros on the sides that are shorter than crop (half on each side, the
// odd pixel on the right or bottom), then cuts the crop×crop square at (X, Y)
// of the padded image.
type CropPlan struct {
	PadL, PadT, PadR, PadB int
	X, Y                   int
}

// Padded reports whether some of the crop shows padding.
func (p CropPlan) Padded() bool { return p.PadL+p.PadT+p.PadR+p.PadB > 0 }

// CenterCrop plans torchvision's CenterCrop(crop) of a w×h image.
func CenterCrop(w, h, crop int) CropPlan {
	var p CropPlan
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
