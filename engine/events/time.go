package events

import "time"

// WallTime converts a monotonic event timestamp to wall-clock time using
// the startup event's clock offset.
func WallTime(ts uint64, offset TimeSpec) time.Time {
	return time.Unix(offset.Sec, offset.Nsec+int64(ts)).UTC()
}

// UTCLayout is how Retis prints wall-clock times (chrono's "%F %T.%6f"):
// fractional seconds are truncated, as Go's layout does.
const UTCLayout = "2006-01-02 15:04:05.000000"

// AppendUTC appends the wall-clock time of ts as Retis prints it with
// --utc.
func AppendUTC(dst []byte, ts uint64, offset TimeSpec) []byte {
	return WallTime(ts, offset).AppendFormat(dst, UTCLayout)
}
