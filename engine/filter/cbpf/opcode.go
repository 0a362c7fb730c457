package cbpf

// Classic BPF opcode fields (linux/filter.h, pcap/bpf.h). x/net/bpf keeps
// its own copies unexported.
const (
	classMask = 0x07
	classLD   = 0x00
	classLDX  = 0x01
	classALU  = 0x04

	sizeMask = 0x18
	sizeW    = 0x00
	sizeH    = 0x08
	sizeB    = 0x10

	modeMask = 0xe0
	modeABS  = 0x20
	modeIND  = 0x40
	modeLEN  = 0x80
	modeMSH  = 0xa0

	aluOpMask = 0xf0
	aluNEG    = 0x80
)

func loadSize(op uint16) int {
	switch op & sizeMask {
	case sizeW:
		return 4
	case sizeH:
		return 2
	case sizeB:
		return 1
	}
	return 0
}
