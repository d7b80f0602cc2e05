package machine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/slipway/slipway/internal/node"
)

// hostPath is one top-level path of the host's userland: a directory bound
// read-only into machines, or a symlink (merged /usr) copied as a symlink.
type hostPath struct {
	name string // "usr", "bin", …
	link string // the symlink's target, or "" for a directory
}

// hostUserland inspects the host directories that make the image
// slipway-node.
func hostUserland() ([]hostPath, error) {
	var out []hostPath
	for _, name := range []string{"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		p := "/" + name
		st, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("host userland: %w", err)
		}
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return nil, fmt.Errorf("host userland: %w", err)
			}
			out = append(out, hostPath{name: name, link: t})
		case st.IsDir():
			out = append(out, hostPath{name: name})
		}
	}
	return out, nil
}

// etcExcluded reports whether a path of the host's /etc (relative to it)
// stays out of machines: host secrets, Slipway's own configuration and the
// files every boot writes.
func etcExcluded(rel string) bool {
	switch rel {
	case "shadow", "shadow-", "gshadow", "gshadow-", "slipway",
		"hostname", "hosts", "resolv.conf", "machine-id":
		return true
	}
	if strings.HasPrefix(rel, "ssh/ssh_host_") || strings.HasPrefix(rel, "slipway/") {
		return true
	}
	return false
}

// prepareDisk makes a new machine's disk: the skeleton of its root, mount
// points, the userland symlinks of a merged-/usr host, and the directories
// of its /etc layer.
func prepareDisk(l layout, userland []hostPath) error {
	disk := l.disk()
	for _, d := range []string{disk, l.etcUpper(), l.etcWork()} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("create disk: %w", err)
		}
	}
	dirs := []struct {
		path string
		mode fs.FileMode
	}{
		{"proc", 0o555}, {"sys", 0o555}, {"dev", 0o755}, {"etc", 0o755}, {"run", 0o755}, {"tmp", fs.ModeSticky | 0o777},
		{"root", 0o700}, {"home", 0o755}, {"opt", 0o755}, {"srv", 0o755}, {"mnt", 0o755}, {"media", 0o755},
		{"var", 0o755}, {"var/lib", 0o755}, {"var/log", 0o755}, {"var/cache", 0o755}, {"var/spool", 0o755},
		{"var/tmp", fs.ModeSticky | 0o777}, {"var/opt", 0o755}, {"var/local", 0o755}, {"var/backups", 0o755}, {"var/mail", fs.ModeSetgid | 0o775},
	}
	for _, d := range dirs {
		p := filepath.Join(disk, d.path)
		if err := os.Mkdir(p, d.mode); err != nil {
			return fmt.Errorf("create disk: %w", err)
		}
		if err := os.Chmod(p, d.mode); err != nil { // past the umask
			return fmt.Errorf("create disk: %w", err)
		}
	}
	for _, l := range [][2]string{{"var/run", "../run"}, {"var/lock", "../run/lock"}} {
		if err := os.Symlink(l[1], filepath.Join(disk, l[0])); err != nil {
			return fmt.Errorf("create disk: %w", err)
		}
	}
	for _, u := range userland {
		p := filepath.Join(disk, u.name)
		var err error
		if u.link != "" {
			err = os.Symlink(u.link, p)
		} else {
			err = os.Mkdir(p, 0o755)
		}
		if err != nil {
			return fmt.Errorf("create disk: %w", err)
		}
	}
	return nil
}

// copyEtc copies the host's /etc, keeping modes, owners and symlinks, and
// leaving out what etcExcluded names.
func copyEtc(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil
			}
			return fmt.Errorf("copy /etc: %w", err)
		}
		rel, _ := filepath.Rel(src, p)
		if rel != "." && etcExcluded(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, info.Mode().Perm()|fs.ModeDir); err != nil {
				return fmt.Errorf("copy /etc: %w", err)
			}
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return fmt.Errorf("copy /etc: %w", err)
			}
			if err := os.Symlink(link, target); err != nil {
				return fmt.Errorf("copy /etc: %w", err)
			}
		case d.Type().IsRegular():
			if err := copyFile(p, target, info.Mode().Perm()); err != nil {
				return fmt.Errorf("copy /etc: %w", err)
			}
		default:
			return nil // sockets, fifos, devices
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			_ = os.Lchown(target, int(st.Uid), int(st.Gid))
		}
		if !d.Type().IsRegular() && !d.IsDir() {
			return nil
		}
		return os.Chmod(target, info.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// tunables are the host-global kernel settings kubelet writes (or, with
// protectKernelDefaults, insists on), shadowed per machine with the values
// it expects (reference/local-k8s FINDINGS §1).
func tunables() map[string]string {
	return map[string]string{
		"vm/overcommit_memory":      "1",
		"vm/panic_on_oom":           "0",
		"kernel/panic":              "10",
		"kernel/panic_on_oops":      "1",
		"kernel/keys/root_maxkeys":  "1000000",
		"kernel/keys/root_maxbytes": "25000000",
	}
}

// tunableFile is the host file that shadows /proc/sys/<key>.
func tunableFile(l layout, key string) string {
	return filepath.Join(l.tunables(), strings.ReplaceAll(key, "/", "."))
}

// prepareBoot readies a machine's disk for a boot: /run and /tmp emptied
// (tmpfs semantics), identity files written, the user_data placed, the
// tunables reset and an oversized console log rotated. Every access below
// the disk goes through os.Root, so links the machine made cannot lead
// Slipway outside it.
func prepareBoot(l layout, d *definition) error {
	r, err := os.OpenRoot(l.disk())
	if err != nil {
		return fmt.Errorf("open disk: %w", err)
	}
	defer r.Close()
	for _, v := range []struct {
		dir  string
		mode fs.FileMode
	}{{"run", 0o755}, {"tmp", fs.ModeSticky | 0o777}} {
		if err := r.RemoveAll(v.dir); err != nil {
			return fmt.Errorf("empty /%s: %w", v.dir, err)
		}
		if err := r.Mkdir(v.dir, 0o755); err != nil {
			return fmt.Errorf("empty /%s: %w", v.dir, err)
		}
		if err := r.Chmod(v.dir, v.mode); err != nil {
			return fmt.Errorf("empty /%s: %w", v.dir, err)
		}
	}
	for _, dir := range []string{"run/lock", strings.TrimPrefix(node.RunDir, "/"), strings.TrimPrefix(node.LogDir, "/")} {
		if err := r.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("prepare boot: %w", err)
		}
	}
	s := d.Spec
	etc, err := os.OpenRoot(l.etcUpper())
	if err != nil {
		return fmt.Errorf("open /etc layer: %w", err)
	}
	defer etc.Close()
	files := map[string][]byte{
		"hostname":    []byte(s.Name + "\n"),
		"hosts":       hostsFile(s.Name),
		"resolv.conf": resolvConf(s.Nameservers),
		"machine-id":  []byte(machineID(s.ID) + "\n"),
	}
	for name, data := range files {
		if err := replaceFile(etc, name, data, 0o644); err != nil {
			return err
		}
	}
	// overlayfs wants an empty work directory.
	if err := os.RemoveAll(l.etcWork()); err != nil {
		return fmt.Errorf("prepare boot: %w", err)
	}
	if err := os.Mkdir(l.etcWork(), 0o755); err != nil {
		return fmt.Errorf("prepare boot: %w", err)
	}
	if err := replaceFile(r, strings.TrimPrefix(node.UserDataFile, "/"), s.UserData, 0o600); err != nil {
		return err
	}
	console := strings.TrimPrefix(node.ConsoleLog, "/")
	if st, err := r.Lstat(console); err == nil {
		switch {
		case !st.Mode().IsRegular():
			// Whatever the machine put there instead of a log goes.
			if err := r.RemoveAll(console); err != nil {
				return fmt.Errorf("console log: %w", err)
			}
		case st.Size() > maxConsoleLog:
			_ = r.Rename(console, console+".1")
		}
	}
	if err := os.MkdirAll(l.tunables(), 0o755); err != nil {
		return fmt.Errorf("tunables: %w", err)
	}
	for key, val := range tunables() {
		if err := os.WriteFile(tunableFile(l, key), []byte(val+"\n"), 0o644); err != nil {
			return fmt.Errorf("tunables: %w", err)
		}
	}
	return nil
}

// maxConsoleLog is the size past which a boot starts a new console log.
const maxConsoleLog = 8 << 20

// replaceFile replaces a file below the root, whatever (link, directory) is
// there now.
func replaceFile(r *os.Root, name string, data []byte, mode fs.FileMode) error {
	if err := r.RemoveAll(name); err != nil {
		return fmt.Errorf("write /%s: %w", name, err)
	}
	if err := r.WriteFile(name, data, mode); err != nil {
		return fmt.Errorf("write /%s: %w", name, err)
	}
	return nil
}

func hostsFile(name string) []byte {
	short, _, _ := strings.Cut(name, ".")
	alias := name
	if short != name {
		alias = name + " " + short
	}
	return []byte("127.0.0.1\tlocalhost\n127.0.1.1\t" + alias + "\n" +
		"::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
}

func resolvConf(servers []string) []byte {
	if len(servers) == 0 {
		return []byte("# No nameserver: this machine has no DNS beyond /etc/hosts.\n")
	}
	var b strings.Builder
	for _, s := range servers {
		b.WriteString("nameserver " + s + "\n")
	}
	return []byte(b.String())
}

// machineID derives a stable /etc/machine-id from the machine's id.
func machineID(id string) string {
	sum := sha256.Sum256([]byte("slipway-machine:" + id))
	return hex.EncodeToString(sum[:16])
}
