package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// PruneOptions says what Prune removes besides unreferenced objects.
type PruneOptions struct {
	// Versions are Kubernetes versions to forget first.
	Versions []string
	// All forgets every version, which empties the cache.
	All bool
}

// PruneResult tells what Prune removed.
type PruneResult struct {
	// Versions are the versions forgotten.
	Versions []string `json:"versions"`
	// Objects are the cache objects removed.
	Objects []string `json:"objects"`
	// Bytes is the space freed.
	Bytes int64 `json:"bytes"`
}

// Prune forgets the versions opts names, then removes every object no
// remaining version uses and the debris of interrupted builds. It waits
// for running builds to finish and keeps new ones waiting until it is done.
// The Go build and module caches are left alone.
func (c *Cache) Prune(ctx context.Context, opts PruneOptions) (*PruneResult, error) {
	l, err := lock(ctx, filepath.Join(c.dir, locksDir, cacheLock), true, nil)
	if err != nil {
		return nil, err
	}
	defer l.unlock()

	res := &PruneResult{Versions: []string{}, Objects: []string{}}
	forget := opts.Versions
	if opts.All {
		ms, err := c.List()
		if err != nil {
			return nil, err
		}
		forget = nil
		for _, m := range ms {
			forget = append(forget, m.Kubernetes)
		}
	}
	for _, v := range forget {
		if versionParts(v)[0] == "" {
			return nil, fmt.Errorf("kubernetes version %q: %w", v, ErrBadVersion)
		}
		err := os.Remove(c.manifestPath(v))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("kubernetes %s: %w", v, ErrNotCached)
		}
		if err != nil {
			return nil, fmt.Errorf("forget kubernetes %s: %w", v, err)
		}
		res.Versions = append(res.Versions, v)
	}

	keep := map[string]bool{}
	ms, err := c.List()
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		for _, comp := range m.Components {
			keep[comp.Object] = true
		}
		for _, im := range m.Images {
			keep[im.Object] = true
		}
	}
	entries, err := os.ReadDir(filepath.Join(c.dir, objectsDir))
	if err != nil {
		return nil, fmt.Errorf("prune artifacts cache: %w", err)
	}
	for _, e := range entries {
		if keep[e.Name()] {
			continue
		}
		dir := filepath.Join(c.dir, objectsDir, e.Name())
		res.Bytes += diskUsage(dir)
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("prune %s: %w", e.Name(), err)
		}
		res.Objects = append(res.Objects, e.Name())
	}
	for _, d := range []string{tmpDir, locksDir} {
		entries, err := os.ReadDir(filepath.Join(c.dir, d))
		if err != nil {
			return nil, fmt.Errorf("prune artifacts cache: %w", err)
		}
		for _, e := range entries {
			if e.Name() == cacheLock {
				continue
			}
			p := filepath.Join(c.dir, d, e.Name())
			res.Bytes += diskUsage(p)
			if err := os.RemoveAll(p); err != nil {
				return nil, fmt.Errorf("prune %s: %w", p, err)
			}
		}
	}
	sort.Strings(res.Objects)
	c.log.Info("pruned artifacts cache", "versions", res.Versions, "objects", len(res.Objects), "bytes", res.Bytes)
	return res, nil
}

// diskUsage returns the total size of the regular files under path.
func diskUsage(path string) int64 {
	var n int64
	_ = filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
