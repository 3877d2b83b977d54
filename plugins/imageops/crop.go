package imageops

import "fmt"

// Crop returns the w×h rectangle whose top-left corner is (x, y), copied. The
// rectangle must lie inside the image: unlike PIL's crop, nothing is padded.
func Crop(img RGB, x, y, w, h int) (RGB, error) {
	if err := img.check(); err != nil {
		return RGB{}, err
	}
	if w <= 0 || h <= 0 || x < 0 || y < 0 || x > img.W-w || y > img.H-h {
		return RGB{}, fmt.Errorf("imageops: crop %dx%d at (%d,%d) is outside the %dx%d image", w, h, x, y, img.W, img.H)
	}
	out := RGB{W: w, H: h, Pix: make([]uint8, w*h*3)}
	for r := 0; r < h; r++ {
		src := ((y+r)*img.W + x) * 3
		copy(out.Pix[r*w*3:(r+1)*w*3], img.Pix[src:src+w*3])
	}
	return out, nil
}
