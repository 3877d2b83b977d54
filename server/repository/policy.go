package repository

import "slices"

// selectVersions returns the versions the policy wants loaded, ascending,
// out of those available. Specific versions that are not on disk are left
// out (there is nothing to load).
func selectVersions(p VersionPolicy, available []int64) []int64 {
	avail := slices.Clone(available)
	slices.Sort(avail)
	avail = slices.Compact(avail)
	switch {
	case p.All:
		return avail
	case len(p.Specific) > 0:
		var out []int64
		for _, v := range avail {
			if slices.Contains(p.Specific, v) {
				out = append(out, v)
			}
		}
		return out
	}
	n := max(p.Latest, 1)
	if n > len(avail) {
		n = len(avail)
	}
	return avail[len(avail)-n:]
}
