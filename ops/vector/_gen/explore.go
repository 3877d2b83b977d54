package main

import "fmt"

func explore() {
	for _, f := range fitSpecs() {
		for d := f.deg - 3; d <= f.deg+1; d++ {
			g := f
			g.deg = d
			_, e := fitMinimax(g)
			fmt.Printf("%s deg %d: %.3g\n", f.name, d, e)
		}
	}
}
