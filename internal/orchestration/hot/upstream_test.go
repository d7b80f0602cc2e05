package hot

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// anyOSType knows every OS::* type, without schemas.
type anyOSType struct{}

func (anyOSType) Known(t string) bool   { return strings.HasPrefix(t, "OS::") }
func (anyOSType) Schema(string) *Schema { return nil }

// TestUpstreamTemplates validates real Heat templates from a directory given
// in SLIPWAY_HOT_UPSTREAM, the way heatclient uploads them: every file under
// the directory is in the files map under its file:// URL. Each line of
// SLIPWAY_HOT_UPSTREAM_CASES is "template.yaml[ env1.yaml env2.yaml…]",
// relative to the directory. No upstream file is part of the repository.
func TestUpstreamTemplates(t *testing.T) {
	dir := os.Getenv("SLIPWAY_HOT_UPSTREAM")
	if dir == "" {
		t.Skip("SLIPWAY_HOT_UPSTREAM is not set")
	}
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files["file://"+p] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(os.Getenv("SLIPWAY_HOT_UPSTREAM_CASES")), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		t.Run(line, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, fields[0]))
			if err != nil {
				t.Fatal(err)
			}
			env := &Environment{}
			for _, e := range fields[1:] {
				b, err := os.ReadFile(filepath.Join(dir, e))
				if err != nil {
					t.Fatal(err)
				}
				pe, err := ParseEnvironment(b)
				if err != nil {
					t.Fatalf("environment %s: %v", e, err)
				}
				env.Merge(pe)
			}
			tmpl, err := ParseAt(body, files, "file://"+filepath.Join(dir, fields[0]))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if err := Validate(tmpl, env, anyOSType{}); err != nil {
				t.Fatalf("validate: %v", err)
			}
		})
	}
}
