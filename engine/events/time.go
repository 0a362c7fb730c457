package events

import (
	"strconv"
	"time"
)

// WallTime converts a monotonic event timestamp to wall-clock time using
// the startup event's clock offset.
func WallTime(ts uint64, offset TimeSpec) time.Time {
	return time.Unix(offset.Sec, offset.Nsec+int64(ts)).UTC()
}

// AppendUTC appends the wall-clock time of ts as Retis prints it with
// --utc: "2006-01-02 15:04:05.000000" (microseconds, truncated).
func AppendUTC(dst []byte, ts uint64, offset TimeSpec) []byte {
	t := WallTime(ts, offset)
	dst = t.AppendFormat(dst, "2006-01-02 15:04:05.")
	us := t.Nanosecond() / 1000
	s := strconv.Itoa(us)
	for i := len(s); i < 6; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}
