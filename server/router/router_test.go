package router

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/server/infer"
)

func abEndpoint(a, b float64) Endpoint {
	return Endpoint{Name: "ep", StickyHeader: "X-User-ID", Variants: []Variant{
		{Name: "A", Model: "m", Version: 1, Weight: a},
		{Name: "B", Model: "m", Version: 2, Weight: b},
	}}
}

func mustNew(t *testing.T, eps ...Endpoint) *Router {
	t.Helper()
	r, err := New(eps)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func pick(t *testing.T, r *Router, key string) Variant {
	t.Helper()
	v, _, ok := r.Route("ep", key)
	if !ok {
		t.Fatal("endpoint ep not found")
	}
	return v
}

// within fails unless got is within tol of want.
func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Fatalf("%s = %.4f, want %.2f ± %.2f", what, got, want, tol)
	}
}

func TestRandomRoutingFollowsWeights(t *testing.T) {
	r := mustNew(t, abEndpoint(90, 10))
	const n = 20000
	a := 0
	for range n {
		if pick(t, r, "").Name == "A" {
			a++
		}
	}
	within(t, "share of A", float64(a)/n, 0.90, 0.02)
}

func TestStickyRoutingFollowsWeights(t *testing.T) {
	r := mustNew(t, abEndpoint(90, 10))
	const n = 20000
	a := 0
	for i := range n {
		if pick(t, r, fmt.Sprintf("user-%d", i)).Name == "A" {
			a++
		}
	}
	within(t, "share of keys on A", float64(a)/n, 0.90, 0.02)
}

func TestSameKeySameVariant(t *testing.T) {
	r1 := mustNew(t, abEndpoint(50, 50))
	r2 := mustNew(t, abEndpoint(50, 50))
	seen := map[string]bool{}
	for i := range 2000 {
		key := fmt.Sprintf("user-%d", i)
		first := pick(t, r1, key)
		for range 3 {
			if v := pick(t, r1, key); v != first {
				t.Fatalf("key %q went to %q, then to %q", key, first.Name, v.Name)
			}
		}
		if v := pick(t, r2, key); v != first {
			t.Fatalf("key %q: %q on one router, %q on an identical one", key, first.Name, v.Name)
		}
		seen[first.Name] = true
	}
	if !seen["A"] || !seen["B"] {
		t.Fatalf("2000 keys all went to %v", seen)
	}
}

func TestWeightChangeMovesOnlyTheKeysThatMust(t *testing.T) {
	r := mustNew(t, abEndpoint(90, 10))
	const n = 20000
	before := make([]string, n)
	for i := range before {
		before[i] = pick(t, r, fmt.Sprintf("k%d", i)).Name
	}
	if err := r.Update([]Endpoint{abEndpoint(80, 20)}); err != nil {
		t.Fatal(err)
	}
	moved := 0
	for i, was := range before {
		now := pick(t, r, fmt.Sprintf("k%d", i)).Name
		switch {
		case was == "B" && now == "A":
			t.Fatalf("key k%d moved from B to A though B's weight grew", i)
		case was == "A" && now == "B":
			moved++
		}
	}
	// A held 90 % of the keys and must hold 80 %: 10 % move.
	within(t, "share of keys moved", float64(moved)/n, 0.10, 0.02)
}

func TestAddingAVariantOnlyTakesKeys(t *testing.T) {
	r := mustNew(t, abEndpoint(50, 50))
	const n = 10000
	before := make([]string, n)
	for i := range before {
		before[i] = pick(t, r, fmt.Sprintf("k%d", i)).Name
	}
	ep := abEndpoint(50, 50)
	ep.Variants = append(ep.Variants, Variant{Name: "C", Model: "m2", Weight: 25})
	if err := r.Update([]Endpoint{ep}); err != nil {
		t.Fatal(err)
	}
	toC := 0
	for i, was := range before {
		now := pick(t, r, fmt.Sprintf("k%d", i)).Name
		if now == "C" {
			toC++
		} else if now != was {
			t.Fatalf("key k%d moved from %s to %s; only moves to the new variant are needed", i, was, now)
		}
	}
	within(t, "share of keys on C", float64(toC)/n, 0.20, 0.02) // 25 of 125
}

func TestZeroWeightNeverChosen(t *testing.T) {
	r := mustNew(t, abEndpoint(1, 0))
	for i := range 2000 {
		if v := pick(t, r, fmt.Sprintf("k%d", i)); v.Name != "A" {
			t.Fatalf("sticky route chose %q with weight 0", v.Name)
		}
		if v := pick(t, r, ""); v.Name != "A" {
			t.Fatalf("random route chose %q with weight 0", v.Name)
		}
	}
}

func TestTinyWeightsStillSplit(t *testing.T) {
	r := mustNew(t, abEndpoint(1e-300, 1e-300))
	seen := map[string]int{}
	for i := range 2000 {
		seen[pick(t, r, fmt.Sprintf("k%d", i)).Name]++
	}
	if seen["A"] < 800 || seen["B"] < 800 {
		t.Fatalf("equal tiny weights split keys %v", seen)
	}
}

func TestShadowShare(t *testing.T) {
	ep := abEndpoint(1, 0)
	ep.Variants = append(ep.Variants, Variant{Model: "candidate", Weight: 0.25, Shadow: true})
	r := mustNew(t, ep)
	const n = 20000
	random, sticky := 0, 0
	for i := range n {
		primary, shadows, _ := r.Route("ep", "")
		if primary.Name != "A" {
			t.Fatalf("a shadow or zero-weight variant served: %q", primary.Name)
		}
		if len(shadows) == 1 && shadows[0].Name == "candidate" && shadows[0].Shadow {
			random++
		} else if len(shadows) != 0 {
			t.Fatalf("shadows %+v", shadows)
		}
		key := fmt.Sprintf("user-%d", i)
		_, s1, _ := r.Route("ep", key)
		_, s2, _ := r.Route("ep", key)
		if len(s1) != len(s2) {
			t.Fatalf("key %q was shadowed once and not the other time", key)
		}
		sticky += len(s1)
	}
	within(t, "random shadow share", float64(random)/n, 0.25, 0.02)
	within(t, "keyed shadow share", float64(sticky)/n, 0.25, 0.02)

	// Weight 1 copies everything.
	ep.Variants[2].Weight = 1
	r = mustNew(t, ep)
	for i := range 100 {
		if _, s, _ := r.Route("ep", fmt.Sprint(i)); len(s) != 1 {
			t.Fatalf("a shadow of weight 1 missed key %d", i)
		}
	}
}

func TestValidation(t *testing.T) {
	ok := func(vs ...Variant) []Variant { return vs }
	for _, c := range []struct {
		name string
		eps  []Endpoint
		want string
	}{
		{"no name", []Endpoint{{Variants: ok(Variant{Model: "m", Weight: 1})}}, "no name"},
		{"duplicate endpoint", []Endpoint{
			{Name: "e", Variants: ok(Variant{Model: "m", Weight: 1})},
			{Name: "e", Variants: ok(Variant{Model: "m", Weight: 1})}}, "twice"},
		{"no variants", []Endpoint{{Name: "e"}}, "weight > 0"},
		{"only zero weights", []Endpoint{{Name: "e", Variants: ok(Variant{Model: "m"})}}, "weight > 0"},
		{"only shadows", []Endpoint{{Name: "e", Variants: ok(Variant{Model: "m", Weight: 1, Shadow: true})}}, "weight > 0"},
		{"negative weight", []Endpoint{{Name: "e", Variants: ok(
			Variant{Model: "m", Weight: 1}, Variant{Model: "n", Weight: -1})}}, "≥ 0"},
		{"NaN weight", []Endpoint{{Name: "e", Variants: ok(Variant{Model: "m", Weight: math.NaN()})}}, "finite"},
		{"infinite weight", []Endpoint{{Name: "e", Variants: ok(Variant{Model: "m", Weight: math.Inf(1)})}}, "finite"},
		{"shadow weight above 1", []Endpoint{{Name: "e", Variants: ok(
			Variant{Model: "m", Weight: 1}, Variant{Model: "s", Weight: 1.5, Shadow: true})}}, "(0, 1]"},
		{"shadow weight 0", []Endpoint{{Name: "e", Variants: ok(
			Variant{Model: "m", Weight: 1}, Variant{Model: "s", Shadow: true})}}, "(0, 1]"},
		{"duplicate default names", []Endpoint{{Name: "e", Variants: ok(
			Variant{Model: "m", Weight: 1}, Variant{Model: "m", Weight: 1})}}, `"m" is used twice`},
		{"explicit name clashes with default", []Endpoint{{Name: "e", Variants: ok(
			Variant{Model: "m", Version: 2, Weight: 1}, Variant{Name: "m:2", Model: "n", Weight: 1})}}, `"m:2" is used twice`},
		{"no model", []Endpoint{{Name: "e", Variants: ok(Variant{Name: "x", Weight: 1})}}, "no model"},
		{"negative version", []Endpoint{{Name: "e", Variants: ok(Variant{Model: "m", Version: -1, Weight: 1})}}, "version"},
	} {
		_, err := New(c.eps)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if e, isInfer := err.(*infer.Error); !isInfer || e.Code != infer.InvalidArgument {
			t.Errorf("%s: error %v is not an InvalidArgument *infer.Error", c.name, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.want)
		}
	}
}

func TestDefaultNamesAndAccessors(t *testing.T) {
	in := []Endpoint{{Name: "e", StickyHeader: "X-User", Variants: []Variant{
		{Model: "m", Weight: 1},
		{Model: "m", Version: 3, Weight: 1},
		{Name: "named", Model: "m", Version: 4, Weight: 1},
	}}}
	r := mustNew(t, in...)
	eps := r.Endpoints()
	if len(eps) != 1 || eps[0].Name != "e" || eps[0].StickyHeader != "X-User" {
		t.Fatalf("endpoints %+v", eps)
	}
	var names []string
	for _, v := range eps[0].Variants {
		names = append(names, v.Name)
	}
	if strings.Join(names, ",") != "m,m:3,named" {
		t.Fatalf("variant names %v, want m, m:3, named", names)
	}
	if in[0].Variants[0].Name != "" {
		t.Fatal("New wrote into the caller's slice")
	}
	eps[0].Variants[0].Model = "changed"
	if r.Endpoints()[0].Variants[0].Model != "m" {
		t.Fatal("Endpoints exposes the router's own slices")
	}
	if r.Sticky("e") != "X-User" || r.Sticky("nope") != "" {
		t.Fatalf("Sticky: %q %q", r.Sticky("e"), r.Sticky("nope"))
	}
	if _, _, ok := r.Route("nope", "k"); ok {
		t.Fatal("an unknown endpoint was routed")
	}
	empty := mustNew(t)
	if _, _, ok := empty.Route("e", ""); ok || len(empty.Endpoints()) != 0 {
		t.Fatal("an empty router routed")
	}
}

func TestInvalidUpdateKeepsOldConfig(t *testing.T) {
	r := mustNew(t, abEndpoint(1, 0))
	bad := abEndpoint(1, 0)
	bad.Variants[1].Weight = -5
	if err := r.Update([]Endpoint{bad}); err == nil {
		t.Fatal("an invalid update was accepted")
	}
	if v := pick(t, r, "k"); v.Name != "A" {
		t.Fatalf("routed to %q after a refused update", v.Name)
	}
	if eps := r.Endpoints(); len(eps) != 1 || eps[0].Variants[1].Weight != 0 {
		t.Fatalf("endpoints changed by a refused update: %+v", eps)
	}
	if err := r.Update([]Endpoint{abEndpoint(0, 1)}); err != nil {
		t.Fatal(err)
	}
	if v := pick(t, r, "k"); v.Name != "B" {
		t.Fatalf("routed to %q after a valid update to B only", v.Name)
	}
}

func TestConcurrentRouteAndUpdate(t *testing.T) {
	r := mustNew(t, abEndpoint(1, 1))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				v, _, ok := r.Route("ep", fmt.Sprintf("%d-%d", g, i%100))
				if !ok || (v.Name != "A" && v.Name != "B") {
					t.Errorf("routed to %+v, %v", v, ok)
					return
				}
				_ = r.Endpoints()
				_ = r.Sticky("ep")
			}
		}()
	}
	for i := range 200 {
		if err := r.Update([]Endpoint{abEndpoint(float64(i%7+1), float64(i%3+1))}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestHashFraming(t *testing.T) {
	if hash(primaryDomain, "ab", "c") == hash(primaryDomain, "a", "bc") {
		t.Fatal(`("ab","c") and ("a","bc") hash alike`)
	}
	if hash(primaryDomain, "k", "v") == hash(shadowDomain, "k", "v") {
		t.Fatal("the domains hash alike")
	}
	// The layout is FNV-1a (as in hash/fnv) over domain, 8-byte little-endian
	// key length, key, name; then murmur3's fmix64.
	h := fnv.New64a()
	h.Write([]byte{'p'})
	h.Write(binary.LittleEndian.AppendUint64(nil, 4))
	h.Write([]byte("user"))
	h.Write([]byte("A"))
	if got, want := hash(primaryDomain, "user", "A"), fmix64(h.Sum64()); got != want {
		t.Fatalf("hash %x, want %x", got, want)
	}
	if fmix64(0) != 0 {
		t.Fatal("fmix64(0) must be 0")
	}
	for _, hv := range []uint64{0, 1, math.MaxUint64} {
		if u := unit(hv); !(u > 0 && u < 1) {
			t.Fatalf("unit(%x) = %v, outside (0,1)", hv, u)
		}
	}
}
