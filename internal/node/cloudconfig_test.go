package node

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseCloudConfig(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("zipped\n"))
	_ = zw.Close()
	doc := `#cloud-config
hostname: node-7
bootcmd:
  - echo early
  - [mkdir, -p, /var/x]
write_files:
  - path: /etc/app/plain.conf
    content: |
      key: value
    permissions: '0600'
  - path: /etc/app/b64
    encoding: b64
    content: ` + base64.StdEncoding.EncodeToString([]byte("decoded\n")) + `
    permissions: 0640
  - path: /etc/app/gz
    encoding: gz+b64
    content: ` + base64.StdEncoding.EncodeToString(gz.Bytes()) + `
  - path: /etc/app/plain.conf
    content: "appended\n"
    append: true
runcmd:
  - echo "late $HOSTNAME"
  - [sh, -c, "exit 0"]
  - [echo, 42]
packages: [nginx]
users: []
`
	cc, err := ParseCloudConfig([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if cc.Hostname != "node-7" {
		t.Errorf("hostname = %q", cc.Hostname)
	}
	if !slices.Equal(cc.Ignored, []string{"packages", "users"}) {
		t.Errorf("ignored = %v", cc.Ignored)
	}
	if len(cc.BootCmd) != 2 || cc.BootCmd[0].Shell != "echo early" || !slices.Equal(cc.BootCmd[1].argv(), []string{"mkdir", "-p", "/var/x"}) {
		t.Errorf("bootcmd = %+v", cc.BootCmd)
	}
	if len(cc.RunCmd) != 3 || !slices.Equal(cc.RunCmd[0].argv(), []string{"/bin/sh", "-c", `echo "late $HOSTNAME"`}) ||
		!slices.Equal(cc.RunCmd[2].argv(), []string{"echo", "42"}) {
		t.Errorf("runcmd = %+v", cc.RunCmd)
	}

	root := t.TempDir()
	for _, f := range cc.WriteFiles {
		if err := f.write(root); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]struct {
		content string
		mode    os.FileMode
	}{
		// The appending entry has no permissions: 0644, as cloud-init does.
		"etc/app/plain.conf": {"key: value\nappended\n", 0o644},
		"etc/app/b64":        {"decoded\n", 0o640},
		"etc/app/gz":         {"zipped\n", 0o644},
	} {
		p := filepath.Join(root, path)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		if string(b) != want.content || st.Mode().Perm() != want.mode {
			t.Errorf("%s = %q %v, want %q %v", path, b, st.Mode().Perm(), want.content, want.mode)
		}
	}
}

func TestParseCloudConfigErrors(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"relative path": "#cloud-config\nwrite_files: [{path: etc/x, content: y}]\n",
		"not yaml":      "#cloud-config\nruncmd: [\n",
		"bad command":   "#cloud-config\nruncmd: [{a: b}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseCloudConfig([]byte(doc)); !errors.Is(err, ErrUserData) {
				t.Fatalf("err = %v, want ErrUserData", err)
			}
		})
	}
}

func TestCmdRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []Cmd{{Shell: "echo hi"}, {Argv: []string{"ls", "-l"}}} {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Cmd
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Shell != c.Shell || !slices.Equal(back.Argv, c.Argv) {
			t.Errorf("%s came back as %+v", b, back)
		}
	}
}
