package secrets_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/slipway/slipway/internal/secrets"
)

func newBox(t *testing.T) *secrets.Box {
	t.Helper()
	key, err := secrets.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	box := newBox(t)
	for _, tc := range []struct {
		name      string
		plaintext []byte
	}{
		{"empty", []byte{}},
		{"short", []byte("s3cret")},
		{"pem", []byte("-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----\n")},
		{"binary", bytes.Repeat([]byte{0, 1, 2, 255}, 1000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sealed, err := box.Seal("cluster/"+tc.name, tc.plaintext)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.plaintext) > 0 && bytes.Contains(sealed, tc.plaintext) {
				t.Fatal("ciphertext contains the plaintext")
			}
			got, err := box.Open("cluster/"+tc.name, sealed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.plaintext) {
				t.Fatalf("Open = %q, want %q", got, tc.plaintext)
			}
		})
	}
}

func TestSealUsesFreshNonce(t *testing.T) {
	t.Parallel()
	box := newBox(t)
	a, err := box.Seal("n", []byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := box.Seal("n", []byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical; the nonce is not random")
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	box := newBox(t)
	sealed, err := box.Seal("cluster/a/ca.key", []byte("key material"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	versioned := bytes.Clone(sealed)
	versioned[0] = 99

	for _, tc := range []struct {
		name       string
		box        *secrets.Box
		secretName string
		ciphertext []byte
	}{
		{"another name", box, "cluster/b/ca.key", sealed},
		{"another key", newBox(t), "cluster/a/ca.key", sealed},
		{"altered", box, "cluster/a/ca.key", flipped},
		{"unknown version", box, "cluster/a/ca.key", versioned},
		{"truncated", box, "cluster/a/ca.key", sealed[:10]},
		{"empty", box, "cluster/a/ca.key", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.box.Open(tc.secretName, tc.ciphertext)
			if !errors.Is(err, secrets.ErrDecrypt) {
				t.Fatalf("Open = %v, want ErrDecrypt", err)
			}
		})
	}
}

func TestNewBoxRejectsShortKey(t *testing.T) {
	t.Parallel()
	if _, err := secrets.NewBox(make([]byte, 16)); !errors.Is(err, secrets.ErrBadKey) {
		t.Fatalf("NewBox(16 bytes) = %v, want ErrBadKey", err)
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, secrets.KeySize)
	enc := base64.StdEncoding.EncodeToString(key)
	for _, tc := range []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"plain", enc, false},
		{"with newline", enc + "\n", false},
		{"with spaces", "  " + enc + " ", false},
		{"not base64", "not base64!", true},
		{"too short", base64.StdEncoding.EncodeToString(key[:16]), true},
		{"too long", base64.StdEncoding.EncodeToString(append(key, 1)), true},
		{"empty", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := secrets.ParseKey(tc.in)
			if tc.wantErr {
				if !errors.Is(err, secrets.ErrBadKey) {
					t.Fatalf("ParseKey(%q) = %v, want ErrBadKey", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, key) {
				t.Fatalf("ParseKey = %x, want %x", got, key)
			}
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "secret.key")

	first, err := secrets.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != secrets.KeySize {
		t.Fatalf("key has %d bytes, want %d", len(first), secrets.KeySize)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Fatalf("key file mode = %o, want 600", mode)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fromFile, err := secrets.ParseKey(string(data)); err != nil || !bytes.Equal(fromFile, first) {
		t.Fatalf("key file holds %q, which is not the returned key (err %v)", data, err)
	}

	second, err := secrets.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatal("second LoadOrCreateKey returned a different key")
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("key directory holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadOrCreateKeyConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret.key")
	const n = 16
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = secrets.LoadOrCreateKey(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreateKey #%d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("racing LoadOrCreateKey calls returned different keys")
		}
	}
}

func TestLoadOrCreateKeyRejectsBadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := secrets.LoadOrCreateKey(path)
	if !errors.Is(err, secrets.ErrBadKey) {
		t.Fatalf("LoadOrCreateKey on a bad file = %v, want ErrBadKey", err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "short" {
		t.Fatal("LoadOrCreateKey replaced an existing key file")
	}
}
