package tracking

import "fmt"

// AppendSeriesJSON appends a series as one JSON array of events, the line
// `retis sort -o` writes for it (without the newline).
func AppendSeriesJSON(dst []byte, s Series) ([]byte, error) {
	dst = append(dst, '[')
	for i, e := range s {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = e.AppendJSON(dst); err != nil {
			return nil, fmt.Errorf("encode event %d of series: %w", i, err)
		}
	}
	return append(dst, ']'), nil
}
