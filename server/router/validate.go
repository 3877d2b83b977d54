package router

import (
	"math"
	"strconv"

	"github.com/gonyx/gonyx/server/infer"
)

// build validates endpoints and prepares them for routing. It copies what
// it keeps, so the caller may reuse its slices.
func build(endpoints []Endpoint) (*table, error) {
	t := &table{byName: make(map[string]*route, len(endpoints))}
	for i, ep := range endpoints {
		if ep.Name == "" {
			return nil, invalid("endpoint %d has no name", i)
		}
		if _, dup := t.byName[ep.Name]; dup {
			return nil, invalid("endpoint %q is defined twice", ep.Name)
		}
		ep.Variants = append([]Variant(nil), ep.Variants...)
		rt, err := prepare(&ep)
		if err != nil {
			return nil, err
		}
		t.byName[ep.Name] = rt
		t.endpoints = append(t.endpoints, ep)
	}
	return t, nil
}

// prepare checks one endpoint, fills in default variant names in place and
// returns its route.
func prepare(ep *Endpoint) (*route, error) {
	rt := &route{sticky: ep.StickyHeader}
	names := make(map[string]bool, len(ep.Variants))
	total := 0.0
	for i := range ep.Variants {
		v := &ep.Variants[i]
		if v.Model == "" {
			return nil, invalid("endpoint %q: variant %d names no model", ep.Name, i)
		}
		if v.Version < 0 {
			return nil, invalid("endpoint %q: variant %d has version %d; want 0 (latest) or a version number",
				ep.Name, i, v.Version)
		}
		if v.Name == "" {
			v.Name = v.Model
			if v.Version != 0 {
				v.Name += ":" + strconv.FormatInt(v.Version, 10)
			}
		}
		if names[v.Name] {
			return nil, invalid("endpoint %q: variant name %q is used twice", ep.Name, v.Name)
		}
		names[v.Name] = true
		if math.IsNaN(v.Weight) || math.IsInf(v.Weight, 0) || v.Weight < 0 {
			return nil, invalid("endpoint %q: variant %q has weight %v; want a finite number ≥ 0",
				ep.Name, v.Name, v.Weight)
		}
		if v.Shadow {
			if !(v.Weight > 0 && v.Weight <= 1) {
				return nil, invalid("endpoint %q: shadow variant %q has weight %v; want a share in (0, 1]",
					ep.Name, v.Name, v.Weight)
			}
			rt.shadows = append(rt.shadows, *v)
			continue
		}
		if v.Weight > 0 {
			total += v.Weight
			if math.IsInf(total, 0) {
				return nil, invalid("endpoint %q: the weights add up to more than a float64 holds", ep.Name)
			}
			rt.primary = append(rt.primary, *v)
			rt.cumul = append(rt.cumul, total)
		}
	}
	if len(rt.primary) == 0 {
		return nil, invalid("endpoint %q needs at least one non-shadow variant with weight > 0", ep.Name)
	}
	// Scores are compared, so dividing every weight by the total changes no
	// choice; it keeps -ln(U)/share finite when the weights are tiny.
	for _, v := range rt.primary {
		rt.share = append(rt.share, v.Weight/total)
	}
	return rt, nil
}

func invalid(format string, args ...any) *infer.Error {
	return infer.Errorf(infer.InvalidArgument, "router: "+format, args...)
}
