// Package router picks which model version serves a request sent to a named
// endpoint: weighted A/B splits and canaries, sticky per-user assignment, and
// shadow variants that get a copy of the traffic.
//
// Sticky routing uses weighted rendezvous hashing: every variant scores a key
// as -ln(U)/weight, U being a uniform number in (0,1) drawn from a hash of
// the key and the variant's name, and the lowest score wins. A variant wins
// a share of keys equal to its share of the weights, a key's choice depends
// only on the key and the variants, and when weights change a key moves only
// if it must: a variant whose weight grew only gains keys, one whose weight
// shrank only loses them.
package router

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
)

// Variant is one model version behind an endpoint.
type Variant struct {
	// Name identifies the variant in responses and metrics; it defaults to
	// the model name, or "model:version" when a version is pinned.
	Name  string `yaml:"name"`
	Model string `yaml:"model"`
	// Version pins a model version; 0 means the latest ready one.
	Version int64 `yaml:"version"`
	// Weight is the variant's relative share of the endpoint's traffic. For
	// a shadow variant it is the share (0..1] of the traffic copied to it.
	Weight float64 `yaml:"weight"`
	// Shadow variants get a copy of requests; their answers are discarded.
	Shadow bool `yaml:"shadow"`
}

// Endpoint is a routed name and its variants.
type Endpoint struct {
	Name     string    `yaml:"name"`
	Variants []Variant `yaml:"variants"`
	// StickyHeader names the request header whose value keeps a user on one
	// variant ("" = every request is routed at random).
	StickyHeader string `yaml:"sticky_header"`
}

// Router routes requests to variants. Its methods may be called concurrently;
// Update swaps the whole configuration at once.
type Router struct {
	table atomic.Pointer[table]
}

// table is one immutable, validated configuration.
type table struct {
	endpoints []Endpoint // as configured, names defaulted
	byName    map[string]*route
}

// route is one endpoint prepared for routing.
type route struct {
	sticky  string
	primary []Variant // weight > 0 only
	cumul   []float64 // running sums of primary weights, for random picks
	share   []float64 // primary weights over their total, for rendezvous
	shadows []Variant
}

// New validates the endpoints and builds a router.
func New(endpoints []Endpoint) (*Router, error) {
	t, err := build(endpoints)
	if err != nil {
		return nil, err
	}
	r := &Router{}
	r.table.Store(t)
	return r, nil
}

// Update replaces the configuration atomically. An invalid configuration is
// refused and the old one stays in force.
func (r *Router) Update(endpoints []Endpoint) error {
	t, err := build(endpoints)
	if err != nil {
		return err
	}
	r.table.Store(t)
	return nil
}

// Route picks the variant to serve a request to endpoint and the shadows
// that get a copy. ok is false when there is no such endpoint (the caller
// then treats the name as a plain model). An empty key picks at random by
// weight; a non-empty key always picks the same variant while the
// endpoint's variants stay the same.
func (r *Router) Route(endpoint, key string) (primary Variant, shadows []Variant, ok bool) {
	rt := r.table.Load().byName[endpoint]
	if rt == nil {
		return Variant{}, nil, false
	}
	if key == "" {
		primary = rt.random()
	} else {
		primary = rt.rendezvous(key)
	}
	for _, s := range rt.shadows {
		var u float64
		if key == "" {
			u = rand.Float64()
		} else {
			u = unit(hash(shadowDomain, key, s.Name))
		}
		if u < s.Weight {
			shadows = append(shadows, s)
		}
	}
	return primary, shadows, true
}

// Endpoints returns a copy of the configuration in force, with default
// variant names filled in.
func (r *Router) Endpoints() []Endpoint {
	eps := r.table.Load().endpoints
	out := make([]Endpoint, len(eps))
	for i, ep := range eps {
		out[i] = ep
		out[i].Variants = slices.Clone(ep.Variants)
	}
	return out
}

// Sticky is the endpoint's StickyHeader ("" if none or no such endpoint).
func (r *Router) Sticky(endpoint string) string {
	if rt := r.table.Load().byName[endpoint]; rt != nil {
		return rt.sticky
	}
	return ""
}

// random picks a primary variant with probability proportional to weight.
func (rt *route) random() Variant {
	total := rt.cumul[len(rt.cumul)-1]
	x := rand.Float64() * total
	for i, c := range rt.cumul {
		if x < c {
			return rt.primary[i]
		}
	}
	return rt.primary[len(rt.primary)-1] // x == total after rounding
}

// rendezvous picks the primary variant with the lowest -ln(U)/weight.
func (rt *route) rendezvous(key string) Variant {
	best, bestScore := 0, math.Inf(1)
	for i, v := range rt.primary {
		score := -math.Log(unit(hash(primaryDomain, key, v.Name))) / rt.share[i]
		if score < bestScore {
			best, bestScore = i, score
		}
	}
	return rt.primary[best]
}
