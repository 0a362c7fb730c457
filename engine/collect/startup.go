package collect

import (
	"golang.org/x/sys/unix"

	"github.com/retis-go/retis/engine/events"
)

// startupEvent describes this collection: it goes first in the file.
func startupEvent(cmdline string) *events.Event {
	var mono, real unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	_ = unix.ClockGettime(unix.CLOCK_REALTIME, &real)
	offset := real.Nano() - mono.Nano()

	var uts unix.Utsname
	_ = unix.Uname(&uts)
	return &events.Event{
		Common: &events.Common{Timestamp: uint64(mono.Nano())},
		Startup: &events.Startup{
			RetisVersion: events.WriterVersion,
			Cmdline:      cmdline,
			ClockMonotonicOffset: events.TimeSpec{
				Sec:  offset / 1e9,
				Nsec: offset % 1e9,
			},
			Machine: events.Machine{
				KernelRelease: unix.ByteSliceToString(uts.Release[:]),
				KernelVersion: unix.ByteSliceToString(uts.Version[:]),
				HardwareName:  unix.ByteSliceToString(uts.Machine[:]),
			},
		},
	}
}
