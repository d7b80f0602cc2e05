package network

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Store persists the Manager's records: networks, subnets, ports with their
// fixed IPs (the IP allocations), routers, route sets, security groups and
// floating IPs.
// Each record is an opaque JSON document under a kind and an id. The Manager
// loads every record once, in New, and writes through on each change, so a
// Store needs no query beyond List.
type Store interface {
	// Put creates or replaces the record kind/id.
	Put(ctx context.Context, kind, id string, data []byte) error
	// Delete removes the record kind/id; a missing record is a success.
	Delete(ctx context.Context, kind, id string) error
	// List returns every record of kind, by id.
	List(ctx context.Context, kind string) (map[string][]byte, error)
}

// FileStore is a Store backed by one file per record under a directory. It
// suits tests and single-host tools; `slipway serve` backs the Store with its
// SQL store instead.
type FileStore struct {
	dir string
}

// NewFileStore returns a FileStore that keeps its records under dir.
func NewFileStore(dir string) *FileStore { return &FileStore{dir: dir} }

func (s *FileStore) path(kind, id string) (string, error) {
	if kind == "" || id == "" || strings.ContainsAny(kind+id, "/\x00") || id == "." || id == ".." {
		return "", fmt.Errorf("record %q/%q: invalid name", kind, id)
	}
	return filepath.Join(s.dir, kind, id+".json"), nil
}

// Put implements Store. The write is atomic: a crash leaves the old record or
// the new one.
func (s *FileStore) Put(_ context.Context, kind, id string, data []byte) error {
	p, err := s.path(kind, id)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("put %s/%s: %w", kind, id, err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("put %s/%s: %w", kind, id, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("put %s/%s: %w", kind, id, err)
	}
	return nil
}

// Delete implements Store.
func (s *FileStore) Delete(_ context.Context, kind, id string) error {
	p, err := s.path(kind, id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s/%s: %w", kind, id, err)
	}
	return nil
}

// List implements Store.
func (s *FileStore) List(_ context.Context, kind string) (map[string][]byte, error) {
	dir := filepath.Join(s.dir, kind)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	out := make(map[string][]byte, len(entries))
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", kind, err)
		}
		out[id] = b
	}
	return out, nil
}
