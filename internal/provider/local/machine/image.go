package machine

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// The image slipway-node is the host's userland: /usr and friends bound
// read-only, and a staged copy of the host's /etc under each machine's own
// writable layer (an overlay mounted inside the machine). The staged copy
// is made once per content of the host's /etc and never changes, because
// overlayfs forbids changing a lower directory under a mounted overlay; a
// machine keeps the copy it was created with.

// imagesDir holds the staged copies of /etc.
func imagesDir(stateDir string) string { return filepath.Join(stateDir, "images") }

// stageEtc returns the name of the staged copy of the host's /etc that
// matches its current content (by path, type, mode, owner, size, mtime and
// link target), making it first if needed.
func stageEtc(stateDir string) (string, error) {
	sum, err := fingerprintEtc("/etc")
	if err != nil {
		return "", fmt.Errorf("stage /etc: %w", err)
	}
	name := "etc-" + sum[:16]
	dir := filepath.Join(imagesDir(stateDir), name)
	if _, err := os.Stat(dir); err == nil {
		return name, nil
	}
	if err := os.MkdirAll(imagesDir(stateDir), 0o700); err != nil {
		return "", fmt.Errorf("stage /etc: %w", err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	tmp := dir + ".tmp-" + hex.EncodeToString(suffix)
	if err := copyEtc("/etc", tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		if _, serr := os.Stat(dir); serr == nil {
			return name, nil // staged meanwhile by another manager
		}
		return "", fmt.Errorf("stage /etc: %w", err)
	}
	return name, nil
}

// fingerprintEtc hashes the metadata of what stageEtc would copy.
func fingerprintEtc(src string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel != "." && etcExcluded(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		link := ""
		if d.Type()&fs.ModeSymlink != 0 {
			link, _ = os.Readlink(p)
		}
		var uid, gid uint32
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			uid, gid = st.Uid, st.Gid
		}
		fmt.Fprintf(h, "%s\x00%v\x00%d\x00%d\x00%d\x00%d\x00%s\n", rel, info.Mode(), uid, gid, info.Size(), info.ModTime().UnixNano(), link)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// removeUnusedImages removes the staged copies no machine uses, except
// keep, and any half-made staging directory.
func removeUnusedImages(stateDir string, used map[string]bool, keep string) error {
	entries, err := os.ReadDir(imagesDir(stateDir))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("clean images: %w", err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if name == keep || (used[name] && !strings.Contains(name, ".tmp-")) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(imagesDir(stateDir), name)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
