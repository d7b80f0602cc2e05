package node

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// CloudConfig is the subset of cloud-init's #cloud-config that the agent
// applies. Other keys are listed in Ignored and reported on the console.
type CloudConfig struct {
	Hostname   string      `json:"hostname,omitempty"`
	WriteFiles []WriteFile `json:"write_files,omitempty"`
	// BootCmd runs first, at every boot, as cloud-init's bootcmd does.
	BootCmd []Cmd `json:"bootcmd,omitempty"`
	// RunCmd runs after write_files, in order.
	RunCmd []Cmd `json:"runcmd,omitempty"`
	// Ignored names the top-level keys the agent does not apply.
	Ignored []string `json:"-"`
}

// supportedCloudConfigKey reports whether CloudConfig applies a key.
func supportedCloudConfigKey(k string) bool {
	switch k {
	case "hostname", "write_files", "bootcmd", "runcmd":
		return true
	}
	return false
}

// Cmd is one bootcmd or runcmd entry: a string runs with /bin/sh -c, a list
// runs as an argument vector.
type Cmd struct {
	Shell string
	Argv  []string
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Cmd) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		c.Shell = s
		return nil
	}
	var list []any
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("command must be a string or a list: %w", err)
	}
	for _, v := range list {
		switch x := v.(type) {
		case string:
			c.Argv = append(c.Argv, x)
		case float64:
			c.Argv = append(c.Argv, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			c.Argv = append(c.Argv, fmt.Sprint(x))
		}
	}
	if len(c.Argv) == 0 {
		return fmt.Errorf("empty command list")
	}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (c Cmd) MarshalJSON() ([]byte, error) {
	if c.Argv != nil {
		return json.Marshal(c.Argv)
	}
	return json.Marshal(c.Shell)
}

// argv is the command's argument vector.
func (c Cmd) argv() []string {
	if c.Argv != nil {
		return c.Argv
	}
	return []string{"/bin/sh", "-c", c.Shell}
}

// WriteFile is one write_files entry, with cloud-init's fields.
type WriteFile struct {
	Path    string `json:"path"`
	Content string `json:"content,omitempty"`
	// Encoding is "", "text/plain", "b64"/"base64", "gz"/"gzip" or
	// "gz+b64"/"gzip+base64" (and the other spellings cloud-init accepts).
	Encoding    string   `json:"encoding,omitempty"`
	Permissions FileMode `json:"permissions,omitempty"`
	// Owner is "user", "user:group" or numeric ids; root by default.
	Owner  string `json:"owner,omitempty"`
	Append bool   `json:"append,omitempty"`
}

// FileMode is a file mode written either as an octal string ("0644") or as
// a number (which YAML's 0644 already is).
type FileMode uint32

// UnmarshalJSON implements json.Unmarshaler.
func (m *FileMode) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0o"), "0O")
		v, err := strconv.ParseUint(s, 8, 32)
		if err != nil {
			return fmt.Errorf("permissions %q: %w", s, err)
		}
		*m = FileMode(v)
		return nil
	}
	var n uint32
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("permissions: %w", err)
	}
	*m = FileMode(n)
	return nil
}

// ParseCloudConfig parses a #cloud-config document.
func ParseCloudConfig(data []byte) (*CloudConfig, error) {
	var keys map[string]json.RawMessage
	if err := yaml.Unmarshal(data, &keys); err != nil {
		return nil, fmt.Errorf("%w: cloud-config: %w", ErrUserData, err)
	}
	var cc CloudConfig
	if err := yaml.Unmarshal(data, &cc); err != nil {
		return nil, fmt.Errorf("%w: cloud-config: %w", ErrUserData, err)
	}
	for k := range keys {
		if !supportedCloudConfigKey(k) {
			cc.Ignored = append(cc.Ignored, k)
		}
	}
	slices.Sort(cc.Ignored)
	for i, f := range cc.WriteFiles {
		if !filepath.IsAbs(f.Path) {
			return nil, fmt.Errorf("%w: write_files[%d]: path %q is not absolute", ErrUserData, i, f.Path)
		}
	}
	return &cc, nil
}

// decodeContent decodes a write_files entry's content.
func (f WriteFile) decodeContent() ([]byte, error) {
	raw := []byte(f.Content)
	enc := strings.ToLower(strings.TrimSpace(f.Encoding))
	b64 := func(in []byte) ([]byte, error) {
		out, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(in)), ""))
		if err != nil {
			return nil, fmt.Errorf("write_files %s: base64: %w", f.Path, err)
		}
		return out, nil
	}
	gunzip := func(in []byte) ([]byte, error) {
		zr, err := gzip.NewReader(bytes.NewReader(in))
		if err != nil {
			return nil, fmt.Errorf("write_files %s: gzip: %w", f.Path, err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, maxUserData))
		if err != nil {
			return nil, fmt.Errorf("write_files %s: gzip: %w", f.Path, err)
		}
		return out, nil
	}
	switch enc {
	case "", "text/plain":
		return raw, nil
	case "b64", "base64":
		return b64(raw)
	case "gz", "gzip":
		return gunzip(raw)
	case "gz+b64", "gzip+b64", "gz+base64", "gzip+base64":
		z, err := b64(raw)
		if err != nil {
			return nil, err
		}
		return gunzip(z)
	}
	return nil, fmt.Errorf("write_files %s: unknown encoding %q", f.Path, f.Encoding)
}

// write writes the file below root ("/" in a machine).
func (f WriteFile) write(root string) error {
	content, err := f.decodeContent()
	if err != nil {
		return err
	}
	mode := os.FileMode(f.Permissions)
	if mode == 0 {
		mode = 0o644
	}
	path := filepath.Join(root, f.Path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write_files %s: %w", f.Path, err)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if f.Append {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	out, err := os.OpenFile(path, flags, mode)
	if err != nil {
		return fmt.Errorf("write_files %s: %w", f.Path, err)
	}
	_, werr := out.Write(content)
	if cerr := out.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(path, mode)
	}
	if werr == nil && f.Owner != "" {
		werr = chownSpec(path, f.Owner)
	}
	if werr != nil {
		return fmt.Errorf("write_files %s: %w", f.Path, werr)
	}
	return nil
}

// chownSpec changes path's owner to "user[:group]", by name or number.
func chownSpec(path, owner string) error {
	name, group, hasGroup := strings.Cut(owner, ":")
	uid, gid := -1, -1
	if name != "" {
		if n, err := strconv.Atoi(name); err == nil {
			uid = n
		} else {
			u, err := user.Lookup(name)
			if err != nil {
				return fmt.Errorf("owner %s: %w", owner, err)
			}
			uid, _ = strconv.Atoi(u.Uid)
			if !hasGroup {
				gid, _ = strconv.Atoi(u.Gid)
			}
		}
	}
	if hasGroup && group != "" {
		if n, err := strconv.Atoi(group); err == nil {
			gid = n
		} else {
			g, err := user.LookupGroup(group)
			if err != nil {
				return fmt.Errorf("owner %s: %w", owner, err)
			}
			gid, _ = strconv.Atoi(g.Gid)
		}
	}
	return os.Lchown(path, uid, gid)
}
