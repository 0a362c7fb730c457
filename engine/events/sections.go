package events

// TimeSpec mirrors struct timespec; Retis stores the monotonic clock offset
// in this form.
type TimeSpec struct {
	Sec  int64 `json:"sec"`
	Nsec int64 `json:"nsec"`
}

// Nanos returns the timespec as nanoseconds.
func (t TimeSpec) Nanos() int64 { return t.Sec*1_000_000_000 + t.Nsec }

// Machine describes the host a collection ran on (uname).
type Machine struct {
	KernelRelease string `json:"kernel_release"`
	KernelVersion string `json:"kernel_version"`
	HardwareName  string `json:"hardware_name"`
}

// SplitFile tells which part of a rotated set a file is.
type SplitFile struct {
	ID     uint32         `json:"id"`
	Policy RotationPolicy `json:"policy"`
}

// RotationPolicy is how a rotated set was split.
type RotationPolicy struct {
	Kind  string `json:"kind"`
	Limit uint64 `json:"limit"`
}

// Startup is the first event of every file: who collected, where and the
// offset that turns monotonic timestamps into wall-clock time.
type Startup struct {
	RetisVersion         string     `json:"retis_version"`
	Cmdline              string     `json:"cmdline"`
	ClockMonotonicOffset TimeSpec   `json:"clock_monotonic_offset"`
	Machine              Machine    `json:"machine"`
	SplitFile            *SplitFile `json:"split_file,omitempty"`
}

// Task is the task that was current when the event fired.
type Task struct {
	Pid  int32  `json:"pid"`
	Tgid int32  `json:"tgid"`
	Comm string `json:"comm"`
}

// Common is present in every event.
type Common struct {
	Timestamp uint64  `json:"timestamp"`
	SmpID     *uint32 `json:"smp_id,omitempty"`
	Task      *Task   `json:"task,omitempty"`
}

// Kernel says which kernel probe produced the event. ProbeType is one of
// "raw_tracepoint", "kprobe" or "kretprobe".
type Kernel struct {
	Symbol     string   `json:"symbol"`
	ProbeType  string   `json:"probe_type"`
	StackTrace []string `json:"stack_trace,omitempty"`
}

// Probe types as written in the kernel section.
const (
	ProbeRawTracepoint = "raw_tracepoint"
	ProbeKprobe        = "kprobe"
	ProbeKretprobe     = "kretprobe"
)

// User says which userspace probe (USDT) produced the event.
type User struct {
	ProbeType string `json:"probe_type"`
	Symbol    string `json:"symbol"`
	IP        uint64 `json:"ip"`
	Path      string `json:"path"`
	Pid       int32  `json:"pid"`
	Tid       int32  `json:"tid"`
}

// SkbTracking is the core tracking information of a packet: (Timestamp,
// OrigHead) identify the packet, Skb tells clones apart.
type SkbTracking struct {
	OrigHead  uint64 `json:"orig_head"`
	Timestamp uint64 `json:"timestamp"`
	Skb       uint64 `json:"skb"`
}

// ID is the 128-bit tracking id, split in two words (hi is the timestamp).
func (t SkbTracking) ID() (hi, lo uint64) { return t.Timestamp, t.OrigHead }

// Tracking is added by post-processing (sort): the series' tracking info
// and the event's index in the series.
type Tracking struct {
	Skb SkbTracking `json:"skb"`
	Idx uint32      `json:"idx"`
}

// SkbDrop is the reason a packet was dropped. Subsys is set for reasons of
// a drop-reason subsystem (e.g. OPENVSWITCH).
type SkbDrop struct {
	Subsys     *string `json:"subsys,omitempty"`
	DropReason string  `json:"drop_reason"`
}

// Packet holds the first bytes of a packet, from its L2 header.
type Packet struct {
	Len        uint32 `json:"len"`
	CaptureLen uint32 `json:"capture_len"`
	Data       []byte `json:"data"`
}

// Skb holds sk_buff information; each part is optional.
type Skb struct {
	VlanAccel *SkbVlanAccel `json:"vlan_accel,omitempty"`
	Meta      *SkbMeta      `json:"meta,omitempty"`
	DataRef   *SkbDataRef   `json:"data_ref,omitempty"`
	GSO       *SkbGSO       `json:"gso,omitempty"`
}

// SkbVlanAccel is an offloaded VLAN tag.
type SkbVlanAccel struct {
	Proto uint16 `json:"proto"`
	Pcp   uint8  `json:"pcp"`
	Dei   bool   `json:"dei"`
	Vid   uint16 `json:"vid"`
}

// SkbMeta holds lengths, hash, checksum state and priority.
type SkbMeta struct {
	Len       uint32 `json:"len"`
	DataLen   uint32 `json:"data_len"`
	Hash      uint32 `json:"hash"`
	IPSummed  uint8  `json:"ip_summed"`
	Csum      uint32 `json:"csum"`
	CsumLevel uint8  `json:"csum_level"`
	Priority  uint32 `json:"priority"`
}

// SkbDataRef holds clone and reference-count information.
type SkbDataRef struct {
	Nohdr   bool  `json:"nohdr"`
	Cloned  bool  `json:"cloned"`
	Fclone  uint8 `json:"fclone"`
	Users   uint8 `json:"users"`
	Dataref uint8 `json:"dataref"`
}

// SkbGSO holds segmentation offload information.
type SkbGSO struct {
	Flags uint8  `json:"flags"`
	Frags uint8  `json:"frags"`
	Size  uint32 `json:"size"`
	Segs  uint32 `json:"segs"`
	Type  uint32 `json:"type"`
}

// Netns identifies a network namespace. Cookie is missing on old kernels.
type Netns struct {
	Cookie *uint64 `json:"cookie,omitempty"`
	Inum   uint32  `json:"inum"`
}

// Dev is the net device an skb is on; RxIfindex is skb->skb_iif.
type Dev struct {
	Name      string  `json:"name"`
	Ifindex   uint32  `json:"ifindex"`
	RxIfindex *uint32 `json:"rx_ifindex,omitempty"`
}

// Nft is an nftables verdict with the rule that gave it.
type Nft struct {
	TableName        string  `json:"table_name"`
	ChainName        string  `json:"chain_name"`
	Verdict          string  `json:"verdict"`
	VerdictChainName *string `json:"verdict_chain_name,omitempty"`
	TableHandle      int64   `json:"table_handle"`
	ChainHandle      int64   `json:"chain_handle"`
	RuleHandle       *int64  `json:"rule_handle,omitempty"`
	Policy           bool    `json:"policy"`
}
