package imageops

import "testing"

// Expected values printed by torchvision 0.14.1 (Debian python3-torchvision):
// transforms.functional._compute_resized_output_size((h, w), [size]).
func TestResizedSizeMatchesTorchvision(t *testing.T) {
	for _, c := range []struct{ w, h, size, nw, nh int }{
		{320, 240, 256, 341, 256},
		{240, 320, 256, 256, 341},
		{500, 375, 256, 341, 256},
		{1920, 1080, 256, 455, 256},
		{1080, 1920, 256, 256, 455},
		{256, 256, 256, 256, 256},
		{100, 150, 256, 256, 384},
		{300, 200, 256, 384, 256},
		{640, 427, 256, 383, 256},
		{333, 500, 256, 256, 384},
		{7, 3, 256, 597, 256},
		{4000, 3, 256, 341333, 256},
		{1, 1, 256, 256, 256},
		{640, 480, 232, 309, 232},
		{500, 333, 160, 240, 160},
		{299, 299, 342, 342, 342},
	} {
		nw, nh := ResizedSize(c.w, c.h, c.size)
		if nw != c.nw || nh != c.nh {
			t.Errorf("ResizedSize(%d, %d, %d) = %dx%d, torchvision %dx%d", c.w, c.h, c.size, nw, nh, c.nw, c.nh)
		}
	}
}

// Expected values observed by running torchvision 0.14.1's
// functional.center_crop on a w×h tensor whose values encode their
// coordinates (0 = padding): the first source pixel shown (sx, sy), where it
// lands in the output (ox, oy), and the size of the part of the image shown.
func TestCenterCropMatchesTorchvision(t *testing.T) {
	for _, c := range []struct{ w, h, crop, sx, sy, ox, oy, vw, vh int }{
		{341, 256, 224, 58, 16, 0, 0, 224, 224}, // (341−224)/2 = 58.5 → 58: halves go to even
		{256, 341, 224, 16, 58, 0, 0, 224, 224},
		{455, 256, 224, 116, 16, 0, 0, 224, 224},
		{384, 256, 224, 80, 16, 0, 0, 224, 224},
		{224, 224, 224, 0, 0, 0, 0, 224, 224},
		{225, 227, 224, 0, 2, 0, 0, 224, 224}, // 0.5 → 0, 1.5 → 2
		{200, 100, 224, 0, 0, 12, 62, 200, 100},
		{100, 300, 224, 0, 38, 62, 0, 100, 224},
		{223, 224, 224, 0, 0, 0, 0, 223, 224}, // the odd padding column goes right
		{300, 200, 250, 25, 0, 0, 25, 250, 200},
		{5, 4, 3, 1, 0, 0, 0, 3, 3},
		{6, 6, 3, 2, 2, 0, 0, 3, 3},
		{3, 3, 5, 0, 0, 1, 1, 3, 3},
		{2, 9, 5, 0, 2, 1, 0, 2, 5},
	} {
		p := CenterCrop(c.w, c.h, c.crop)
		sx, ox := max(p.X-p.PadL, 0), max(p.PadL-p.X, 0)
		sy, oy := max(p.Y-p.PadT, 0), max(p.PadT-p.Y, 0)
		vw, vh := min(c.w-sx, c.crop-ox), min(c.h-sy, c.crop-oy)
		if sx != c.sx || sy != c.sy || ox != c.ox || oy != c.oy || vw != c.vw || vh != c.vh {
			t.Errorf("CenterCrop(%d, %d, %d) = %+v: shows (%d,%d) at (%d,%d), %dx%d; torchvision (%d,%d) at (%d,%d), %dx%d",
				c.w, c.h, c.crop, p, sx, sy, ox, oy, vw, vh, c.sx, c.sy, c.ox, c.oy, c.vw, c.vh)
		}
		if want := c.crop > c.w || c.crop > c.h; p.Padded() != want {
			t.Errorf("CenterCrop(%d, %d, %d): padded %v, want %v", c.w, c.h, c.crop, p.Padded(), want)
		}
	}
}
