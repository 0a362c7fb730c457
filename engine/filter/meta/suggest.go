package meta

import (
	"fmt"
	"slices"
	"strings"
)

// suggest returns " (did you mean ...?)" with the names closest to name,
// or "" when none is close.
func suggest(name string, names []string) string {
	limit := max(2, len(name)/3)
	best := limit + 1
	var picks []string
	for _, n := range names {
		d := distance(strings.ToLower(name), strings.ToLower(n))
		switch {
		case d < best:
			best, picks = d, []string{n}
		case d == best && len(picks) < 3 && !slices.Contains(picks, n):
			picks = append(picks, n)
		}
	}
	if len(picks) == 0 {
		return ""
	}
	for i := range picks {
		picks[i] = fmt.Sprintf("%q", picks[i])
	}
	return fmt.Sprintf(" (did you mean %s?)", strings.Join(picks, " or "))
}

// distance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent bytes.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
