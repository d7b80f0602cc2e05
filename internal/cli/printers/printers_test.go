package printers

import (
	"bytes"
	"testing"
)

type obj struct {
	Name   string            `json:"name"`
	Count  int               `json:"count"`
	Reason *string           `json:"reason"`
	Labels map[string]string `json:"labels"`
	Links  []string          `json:"links"`
}

func TestPrint(t *testing.T) {
	t.Parallel()
	v := obj{Name: "k8s", Count: 3, Labels: map[string]string{"a": "b"}, Links: []string{"x"}}
	table := NewTable("NAME", "COUNT")
	table.AddRow("k8s", "3")
	table.AddRow("much-longer-name", "10")
	tests := []struct {
		format Format
		want   string
	}{
		{FormatTable, "NAME              COUNT\nk8s               3\nmuch-longer-name  10\n"},
		{FormatJSON, "{\n  \"name\": \"k8s\",\n  \"count\": 3,\n  \"reason\": null,\n  \"labels\": {\n    \"a\": \"b\"\n  },\n  \"links\": [\n    \"x\"\n  ]\n}\n"},
		{FormatYAML, "count: 3\nlabels:\n  a: b\nlinks:\n- x\nname: k8s\nreason: null\n"},
	}
	for _, tc := range tests {
		t.Run(string(tc.format), func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := Print(&b, tc.format, v, table); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	table, err := Fields(obj{Name: "k8s", Count: 3, Labels: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := table.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := "FIELD   VALUE\ncount   3\nlabels  {\"a\":\"b\"}\nname    k8s\nreason  -\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"table", "json", "yaml"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q): %v", s, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) succeeded")
	}
}
