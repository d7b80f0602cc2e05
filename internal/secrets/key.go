package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length in bytes of a secrets key: an AES-256 key.
const KeySize = 32

// EnvKey is the environment variable that may carry the base64-encoded key.
// When it is set, it takes precedence over the key file.
const EnvKey = "SLIPWAY_SECRET_KEY"

// ErrBadKey means a key is not KeySize bytes of standard base64.
var ErrBadKey = errors.New("secrets key must be 32 bytes, base64-encoded")

// ParseKey decodes a base64-encoded key, as found in EnvKey or in a key file.
// Surrounding white space is ignored.
func ParseKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: got %d bytes", ErrBadKey, len(key))
	}
	return key, nil
}

// NewKey returns a fresh random key.
func NewKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate secrets key: %w", err)
	}
	return key, nil
}

// LoadOrCreateKey reads the key stored base64-encoded in the file at path.
// When the file does not exist it creates it, and any missing parent
// directory, with a new random key, readable by its owner only (mode 0600).
// Two processes racing to create the file end up with the same key.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createKey(path); err != nil {
		return nil, err
	}
	return readKey(path)
}

func readKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secrets key: %w", err)
	}
	key, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("read secrets key %s: %w", path, err)
	}
	return key, nil
}

// createKey writes a new key to a temporary file and links it into place, so
// that path never holds a partial key and an existing key is never replaced.
func createKey(path string) error {
	key, err := NewKey()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create secrets key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".secret-key-*")
	if err != nil {
		return fmt.Errorf("create secrets key: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file with mode 0600.
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("create secrets key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create secrets key: %w", err)
	}
	return nil
}
