package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	validator "github.com/santhosh-tekuri/jsonschema/v6"
)

func compileSchema(t *testing.T) *validator.Schema {
	t.Helper()
	raw, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := validator.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := validator.NewCompiler()
	// Compiling checks the document against the 2020-12 meta-schema.
	if err := c.AddResource("retis-event.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("retis-event.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

func validate(s *validator.Schema, b []byte) error {
	v, err := validator.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// TestSchemaValidatesCompatEvents checks every event of every file Retis
// wrote, as this package reads and writes it (older layouts upgraded).
func TestSchemaValidatesCompatEvents(t *testing.T) {
	s := compileSchema(t)
	files, err := filepath.Glob(filepath.Join(compatDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Retis reference files in %s (the tests expect ../shared beside the clone)", compatDir)
	}
	total := 0
	for _, path := range files {
		var evs []*Event
		if strings.HasSuffix(path, "_sorted.json") {
			evs = readSorted(t, path)
		} else {
			evs = readAll(t, path)
		}
		for i, e := range evs {
			b, err := e.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(s, b); err != nil {
				t.Errorf("%s: event %d does not validate: %v\n%s", filepath.Base(path), i, err, b)
			}
			total++
		}
	}
	// 58 lines in the five files, the sorted file's series holding 4 events.
	if total < 55 {
		t.Fatalf("validated only %d events", total)
	}
	t.Logf("%d events from %d files validate", total, len(files))
}

// readSorted reads a file written by `retis sort -o`: one JSON array of
// events (a series) per line, in the 1.6 layout.
func readSorted(t *testing.T, path string) []*Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var series []json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &series); err != nil {
			t.Fatal(err)
		}
		for _, raw := range series {
			e, err := Upgrade(raw, Layout16)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
	}
	return out
}

// TestSchemaOnRawLines validates Retis's own lines, without our codec in
// between: the packets file's events are in the current layout, and the
// invalid-ct file's events lacking ct_status must be refused for it.
func TestSchemaOnRawLines(t *testing.T) {
	s := compileSchema(t)
	for _, name := range []string{"test_events_packets.json", "test_events_packets_invalid_ct.json"} {
		f, err := os.Open(compat(t, name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		line, refused := 0, 0
		for sc.Scan() {
			line++
			if line == 1 {
				continue // 1.6 startup: lacks the cmdline and machine members 1.7 added
			}
			var probe struct {
				Ct map[string]json.RawMessage `json:"ct"`
			}
			if err := json.Unmarshal(sc.Bytes(), &probe); err != nil {
				t.Fatal(err)
			}
			_, hasStatus := probe.Ct["ct_status"]
			err := validate(s, sc.Bytes())
			switch {
			case probe.Ct != nil && !hasStatus:
				refused++
				if err == nil || !strings.Contains(err.Error(), "ct_status") {
					t.Errorf("%s:%d: ct without ct_status: got %v, want an error naming ct_status", name, line, err)
				}
			case err != nil:
				t.Errorf("%s:%d: %v", name, line, err)
			}
		}
		f.Close()
		if name == "test_events_packets_invalid_ct.json" && refused == 0 {
			t.Errorf("%s: no event without ct_status found", name)
		}
	}
}

// TestSchemaRefusesBrokenEvents breaks a valid event one way at a time.
func TestSchemaRefusesBrokenEvents(t *testing.T) {
	s := compileSchema(t)
	base := map[string]string{
		"packet": `{"common":{"timestamp":30419169061793,"smp_id":6,"task":{"pid":11330,"tgid":11330,"comm":"ping"}},` +
			`"kernel":{"symbol":"net:net_dev_start_xmit","probe_type":"raw_tracepoint"},` +
			`"packet":{"len":98,"capture_len":4,"data":"+ly9jg=="},"skb":{"meta":{"len":98,"data_len":0,"hash":0,"ip_summed":0,"csum":1,"csum_level":0,"priority":0}},` +
			`"ct":{"state":"new","zone_id":0,"zone_dir":"Default","orig":{"ip":{"src":"1.1.1.1","dst":"2.2.2.2","version":"v4"},"proto":{"icmp":{"code":0,"type":8,"id":1}}},` +
			`"reply":{"ip":{"src":"2.2.2.2","dst":"1.1.1.1","version":"v4"},"proto":{"icmp":{"code":0,"type":0,"id":1}}},"ct_status":8}}`,
		"upcall":  `{"common":{"timestamp":1},"ovs":{"event_type":"upcall","cmd":1,"port":3,"cpu":6}}`,
		"output":  `{"common":{"timestamp":1},"ovs":{"event_type":"action_execute","action":"output","port":4,"recirc_id":0}}`,
		"ctact":   `{"common":{"timestamp":1},"ovs":{"event_type":"action_execute","action":"ct","flags":1,"zone_id":2,"nat":{"dir":"src"},"recirc_id":0}}`,
		"noact":   `{"common":{"timestamp":1},"ovs":{"event_type":"action_execute","recirc_id":0,"queue_id":7}}`,
		"startup": `{"common":{"timestamp":1},"startup":{"retis_version":"v1.7.0","cmdline":"retis collect","clock_monotonic_offset":{"sec":1,"nsec":2},"machine":{"kernel_release":"6.18","kernel_version":"#1","hardware_name":"x86_64"}}}`,
	}
	for name, b := range base {
		if err := validate(s, []byte(b)); err != nil {
			t.Fatalf("base event %s does not validate: %v", name, err)
		}
	}
	for _, tc := range []struct {
		name, base string
		edit       func(e map[string]any)
	}{
		{"timestamp as string", "packet", func(e map[string]any) { sec(e, "common")["timestamp"] = "1" }},
		{"negative cpu", "packet", func(e map[string]any) { sec(e, "common")["smp_id"] = -1 }},
		{"u8 overflow", "packet", func(e map[string]any) { sec(sec(e, "skb"), "meta")["ip_summed"] = 256 }},
		{"unknown probe type", "packet", func(e map[string]any) { sec(e, "kernel")["probe_type"] = "uprobe" }},
		{"packet data as bytes", "packet", func(e map[string]any) { sec(e, "packet")["data"] = []int{250, 92} }},
		{"packet data not base64", "packet", func(e map[string]any) { sec(e, "packet")["data"] = "not base64!" }},
		{"packet without len", "packet", func(e map[string]any) { delete(sec(e, "packet"), "len") }},
		{"section not an object", "packet", func(e map[string]any) { e["dev"] = "eth0" }},
		{"ct without status", "packet", func(e map[string]any) { delete(sec(e, "ct"), "ct_status") }},
		{"ct bad state", "packet", func(e map[string]any) { sec(e, "ct")["state"] = "bogus" }},
		{"ct two protocols", "packet", func(e map[string]any) {
			sec(sec(sec(e, "ct"), "orig"), "proto")["udp"] = map[string]any{"sport": 1, "dport": 2}
		}},
		{"ovs unknown type", "upcall", func(e map[string]any) { sec(e, "ovs")["event_type"] = "nope" }},
		{"ovs without type", "upcall", func(e map[string]any) { delete(sec(e, "ovs"), "event_type") }},
		{"ovs upcall without cmd", "upcall", func(e map[string]any) { delete(sec(e, "ovs"), "cmd") }},
		{"ovs members of another variant", "upcall", func(e map[string]any) { sec(e, "ovs")["event_type"] = "upcall_return" }},
		{"ovs output without port", "output", func(e map[string]any) { delete(sec(e, "ovs"), "port") }},
		{"ovs unknown action", "output", func(e map[string]any) { sec(e, "ovs")["action"] = "teleport" }},
		{"ovs action without recirc_id", "noact", func(e map[string]any) { delete(sec(e, "ovs"), "recirc_id") }},
		{"ovs ct without zone", "ctact", func(e map[string]any) { delete(sec(e, "ovs"), "zone_id") }},
		{"ovs nat bad dir", "ctact", func(e map[string]any) { sec(sec(e, "ovs"), "nat")["dir"] = "up" }},
		{"startup without machine", "startup", func(e map[string]any) { delete(sec(e, "startup"), "machine") }},
	} {
		var e map[string]any
		d := json.NewDecoder(strings.NewReader(base[tc.base]))
		d.UseNumber()
		if err := d.Decode(&e); err != nil {
			t.Fatal(err)
		}
		tc.edit(e)
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(s, b); err == nil {
			t.Errorf("%s: broken event validates: %s", tc.name, b)
		}
	}
}

func sec(e map[string]any, name string) map[string]any { return e[name].(map[string]any) }

// TestSchemaDescribesEverything walks the document: every definition and
// every member has a description, and no text needed escaping.
func TestSchemaDescribesEverything(t *testing.T) {
	raw, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(`\\`)) {
		t.Fatal(`schema text holds a backslash: unescapeHTML is no longer safe`)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", doc["$schema"])
	}
	defs := doc["$defs"].(map[string]any)
	for name, d := range defs {
		if d.(map[string]any)["description"] == nil {
			t.Errorf("definition %s has no description", name)
		}
	}
	n := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for k, p := range props {
					pm := p.(map[string]any)
					// The tag constants of union variants are described by
					// the union's own member.
					if _, isConst := pm["const"]; !isConst && pm["description"] == nil {
						t.Errorf("%s.%s has no description", path, k)
					}
					n++
				}
			}
			for k, c := range v {
				walk(path+"/"+k, c)
			}
		case []any:
			for _, c := range v {
				walk(path, c)
			}
		}
	}
	walk("#", doc)
	// Each section of the event must be a member of the top-level object.
	top := doc["properties"].(map[string]any)
	for _, name := range SectionNames {
		if top[name] == nil {
			t.Errorf("section %s missing from the schema", name)
		}
	}
	t.Logf("%d definitions, %d members", len(defs), n)
}

// TestSchemaOVSTagsDecode ties the schema's ovs variants to the decoder:
// each tag the schema allows must decode.
func TestSchemaOVSTagsDecode(t *testing.T) {
	for _, v := range ovsVariants {
		var o OVS
		if err := o.UnmarshalJSON([]byte(`{"event_type":"` + v.tag + `"}`)); err != nil {
			t.Errorf("schema variant %s: %v", v.tag, err)
		}
		if got := reflect.TypeOf(o.variant()).Elem().Name(); got != v.typ.Name() {
			t.Errorf("variant %s decodes into %s, schema says %s", v.tag, got, v.typ.Name())
		}
	}
}
