package node

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// heatMultipart is what OS::Heat::MultipartMime renders (Python's
// email.mime): a cloud-config part, a script part, a part with no subtype
// (text/plain, typed by its content), a UTF-8 part that Python encodes in
// base64, and heat-cfntools data.
const heatMultipart = `Content-Type: multipart/mixed; boundary="===============4735239286826515390=="
MIME-Version: 1.0

--===============4735239286826515390==
Content-Type: text/cloud-config; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename="part-001"

#cloud-config
write_files:
- path: /etc/motd
  content: hello

--===============4735239286826515390==
Content-Type: text/x-shellscript; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit

#!/bin/sh
echo one

--===============4735239286826515390==
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit

#!/bin/bash
echo two

--===============4735239286826515390==
Content-Type: text/x-shellscript; charset="utf-8"
MIME-Version: 1.0
Content-Transfer-Encoding: base64

IyEvYmluL3NoCmVjaG8gdGjDqQo=

--===============4735239286826515390==
Content-Type: text/x-cfninitdata; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename="cfn-init-data"

{"deployments": []}
--===============4735239286826515390==--
`

func TestParseUserData(t *testing.T) {
	t.Parallel()
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write([]byte(s))
		_ = w.Close()
		return b.Bytes()
	}
	type want struct{ typ, filename, content string }
	tests := []struct {
		name string
		data []byte
		want []want
	}{
		{"empty", []byte("  \n"), nil},
		{"shell script", []byte("#!/bin/sh\necho hi\n"), []want{{TypeShellScript, "", "#!/bin/sh\necho hi\n"}}},
		{"cloud-config", []byte("#cloud-config\nruncmd: [ls]\n"), []want{{TypeCloudConfig, "", "#cloud-config\nruncmd: [ls]\n"}}},
		{"gzip", gz("#!/bin/sh\ntrue\n"), []want{{TypeShellScript, "", "#!/bin/sh\ntrue\n"}}},
		{"bootstrap yaml", []byte("slipway_bootstrap: v1\nservices: []\n"), []want{{TypeBootstrap, "", "slipway_bootstrap: v1\nservices: []\n"}}},
		{"bootstrap json", []byte(`{"slipway_bootstrap": "v1"}`), []want{{TypeBootstrap, "", `{"slipway_bootstrap": "v1"}`}}},
		{"plain text", []byte("just words\n"), []want{{"text/plain", "", "just words\n"}}},
		{"include is kept as its own type", []byte("#include\nhttp://x\n"), []want{{"text/x-include-url", "", "#include\nhttp://x\n"}}},
		{"heat multipart", []byte(heatMultipart), []want{
			{TypeCloudConfig, "part-001", "#cloud-config\nwrite_files:\n- path: /etc/motd\n  content: hello\n"},
			{TypeShellScript, "", "#!/bin/sh\necho one\n"},
			{TypeShellScript, "", "#!/bin/bash\necho two\n"},
			{TypeShellScript, "", "#!/bin/sh\necho thé\n"},
			{TypeCfnInitData, "cfn-init-data", `{"deployments": []}`},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parts, err := ParseUserData(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) != len(tc.want) {
				t.Fatalf("got %d parts, want %d: %+v", len(parts), len(tc.want), parts)
			}
			for i, w := range tc.want {
				p := parts[i]
				if p.Type != w.typ || p.Filename != w.filename || strings.TrimRight(string(p.Content), "\n") != strings.TrimRight(w.content, "\n") {
					t.Errorf("part %d = {%s %q %q}, want {%s %q %q}", i, p.Type, p.Filename, p.Content, w.typ, w.filename, w.content)
				}
			}
		})
	}
}

func TestParseUserDataNested(t *testing.T) {
	t.Parallel()
	inner := "Content-Type: multipart/mixed; boundary=\"in\"\n\n--in\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho inner\n--in--\n"
	outer := "Content-Type: multipart/mixed; boundary=\"out\"\nMIME-Version: 1.0\n\n--out\n" +
		"Content-Type: text/cloud-config\n\n#cloud-config\nhostname: x\n--out\n" +
		"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" +
		base64.StdEncoding.EncodeToString([]byte(inner)) + "\n--out--\n"
	parts, err := ParseUserData([]byte(outer))
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || parts[0].Type != TypeCloudConfig || parts[1].Type != TypeShellScript ||
		!strings.Contains(string(parts[1].Content), "echo inner") {
		t.Fatalf("parts = %+v", parts)
	}
}

func TestParseUserDataErrors(t *testing.T) {
	t.Parallel()
	for name, data := range map[string]string{
		"no boundary":  "Content-Type: multipart/mixed\n\nbody\n",
		"bad base64":   "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/x-shellscript\nContent-Transfer-Encoding: base64\n\n!!!\n--b--\n",
		"bad encoding": "Content-Type: text/x-shellscript\nContent-Transfer-Encoding: x-uuencode\n\nabc\n",
		"bad gzip":     "\x1f\x8bnot gzip",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseUserData([]byte(data)); !errors.Is(err, ErrUserData) {
				t.Fatalf("err = %v, want ErrUserData", err)
			}
		})
	}
}
