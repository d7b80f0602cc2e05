package printers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"
)

// Format is an output format.
type Format string

// The output formats.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatYAML  Format = "yaml"
)

// Formats lists the valid formats, for help texts.
var Formats = []Format{FormatTable, FormatJSON, FormatYAML}

// ParseFormat validates a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if Format(s) == f {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown output format %q: use table, json or yaml", s)
}

// Table is rows of text under column headings.
type Table struct {
	Columns []string
	Rows    [][]string
}

// NewTable returns an empty table with the given column headings.
func NewTable(columns ...string) *Table {
	return &Table{Columns: columns}
}

// AddRow appends a row.
func (t *Table) AddRow(cells ...string) {
	t.Rows = append(t.Rows, cells)
}

// Write renders the table with aligned columns.
func (t *Table) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	if len(t.Columns) > 0 {
		fmt.Fprintln(tw, strings.Join(t.Columns, "\t"))
	}
	for _, r := range t.Rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// Print writes v in format f. The table format prints table, which the
// caller builds from v; JSON and YAML print v itself.
func Print(w io.Writer, f Format, v any, table *Table) error {
	switch f {
	case FormatJSON:
		return PrintJSON(w, v)
	case FormatYAML:
		return PrintYAML(w, v)
	case FormatTable, "":
		return table.Write(w)
	default:
		return fmt.Errorf("unknown output format %q", f)
	}
}

// PrintJSON writes v as indented JSON.
func PrintJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// PrintYAML writes v as YAML, using its JSON field names.
func PrintYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// Fields returns a FIELD/VALUE table of v's JSON fields in name order, the
// way `openstack … show` prints one object. Links are left out.
func Fields(v any) (*Table, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%T is not an object: %w", v, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "links" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	t := NewTable("FIELD", "VALUE")
	for _, k := range keys {
		t.AddRow(k, cell(m[k]))
	}
	return t, nil
}

// cell renders one decoded JSON value for a table.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		return x
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// Str renders an optional string, "-" when absent.
func Str(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

// Int renders an int.
func Int(i int) string { return strconv.Itoa(i) }

// IntPtr renders an optional int, "-" when absent.
func IntPtr(i *int) string {
	if i == nil {
		return "-"
	}
	return strconv.Itoa(*i)
}

// Bool renders a bool.
func Bool(b bool) string { return strconv.FormatBool(b) }
