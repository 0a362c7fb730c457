package cbpf

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCompile(t *testing.T) {
	raw, err := Compile("tcp port 443", Ethernet)
	if err != nil {
		t.Fatal(err)
	}
	// tcpdump -d 'tcp port 443' starts by loading the ethertype.
	if raw[0].Op != 0x28 || raw[0].K != 12 {
		t.Fatalf("first instruction = %+v, want ldh [12]", raw[0])
	}
	last := raw[len(raw)-1]
	if last.Op != 0x06 || last.K != 0 {
		t.Fatalf("last instruction = %+v, want ret #0", last)
	}

	raw, err = Compile("tcp port 443", Raw)
	if err != nil {
		t.Fatal(err)
	}
	// DLT_RAW programs start from the IP version nibble.
	if raw[0].Op != 0x30 || raw[0].K != 0 {
		t.Fatalf("DLT_RAW first instruction = %+v, want ldb [0]", raw[0])
	}
}

func TestCompileErrors(t *testing.T) {
	_, err := Compile("tcp prot 443", Ethernet)
	if err == nil || !strings.Contains(err.Error(), "syntax error") || !strings.Contains(err.Error(), `"tcp prot 443"`) {
		t.Fatalf("invalid expression: err = %v, want libpcap's syntax error naming the expression", err)
	}
	_, err = Compile("ether broadcast", Raw)
	if err == nil || !strings.Contains(err.Error(), "DLT_RAW") {
		t.Fatalf("ether broadcast on DLT_RAW: err = %v, want libpcap's refusal", err)
	}

	// Distinct offsets defeat the optimizer: about 3 instructions a term.
	var terms []string
	for i := range 1500 {
		terms = append(terms, fmt.Sprintf("ether[%d] == %d", i, i%256))
	}
	_, err = Compile(strings.Join(terms, " or "), Ethernet)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "4096") {
		t.Fatalf("huge expression: err = %v, want ErrTooLarge naming the limit", err)
	}
}
