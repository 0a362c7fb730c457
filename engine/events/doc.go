// Package events holds the event model: one typed Go struct per section that
// Retis writes, their JSON form (byte-compatible with Retis's JSON Lines
// files), a streaming reader that upgrades older file layouts, and a
// buffered writer.
//
// It must not know about the kernel (no cilium/ebpf), about output formats or
// about Starlark: collectors fill events, output renders them, scripts read
// them, and all of them meet here.
package events
