package conv

import (
	"fmt"
	"testing"
)

func BenchmarkDepthwiseFlat(b *testing.B) {
	for _, sh := range []struct{ c, h, k, s int }{{96, 112, 3, 2}, {144, 56, 3, 2}, {192, 28, 3, 2}, {576, 14, 3, 2}, {240, 28, 5, 2}, {672, 14, 5, 2}, {960, 7, 3, 1}} {
		o := (sh.h+2*(sh.k/2)-sh.k)/sh.s + 1
		g := &geom{n: 1, c: sh.c, m: sh.c, groups: sh.c, cg: 1, mg: 1, in: []int{sh.h, sh.h}, kern: []int{sh.k, sh.k}, out: []int{o, o},
			stride: []int{sh.s, sh.s}, dil: []int{1, 1}, padB: []int{sh.k / 2, sh.k / 2}, padE: []int{sh.k / 2, sh.k / 2}, kSize: sh.k * sh.k,
			inSize: sh.h * sh.h, outSize: o * o}
		x := make([]float32, sh.c*sh.h*sh.h)
		w := make([]float32, sh.c*sh.k*sh.k)
		y := make([]float32, sh.c*o*o)
		for _, all := range []bool{false, true} {
			b.Run(fmt.Sprintf("c%d_h%d_k%d_s%d_flat%v", sh.c, sh.h, sh.k, sh.s, all), func(b *testing.B) {
				old := dwFlatAll
				dwFlatAll = all
				defer func() { dwFlatAll = old }()
				for i := 0; i < b.N; i++ {
					depthwiseF32(g, x, w, nil, y, 1, nil)
				}
			})
		}
	}
}

func BenchmarkIm2col(b *testing.B) {
	for _, sh := range []struct{ c, h, k, s int }{{3, 224, 3, 2}, {3, 224, 7, 2}} {
		o := (sh.h+2*(sh.k/2)-sh.k)/sh.s + 1
		g := &geom{n: 1, c: sh.c, m: sh.c, groups: 1, cg: sh.c, mg: sh.c, in: []int{sh.h, sh.h}, kern: []int{sh.k, sh.k}, out: []int{o, o},
			stride: []int{sh.s, sh.s}, dil: []int{1, 1}, padB: []int{sh.k / 2, sh.k / 2}, padE: []int{sh.k / 2, sh.k / 2}, kSize: sh.k * sh.k,
			inSize: sh.h * sh.h, outSize: o * o}
		x := make([]float32, sh.c*sh.h*sh.h)
		kg := sh.c * sh.k * sh.k
		cw := min(o*o, max(16, colBudget/kg))
		col := make([]float32, kg*cw)
		for _, padded := range []bool{false, true} {
			b.Run(fmt.Sprintf("c%d_h%d_k%d_s%d_padded%v", sh.c, sh.h, sh.k, sh.s, padded), func(b *testing.B) {
				var plane []float32
				for i := 0; i < b.N; i++ {
					for j0 := 0; j0 < o*o; j0 += cw {
						j1 := min(o*o, j0+cw)
						if !padded || !im2colPadded(g, x, 0, col[:kg*(j1-j0)], j0, j1, &plane) {
							im2col(g, x, 0, col[:kg*(j1-j0)], j0, j1)
						}
					}
				}
			})
		}
	}
}
