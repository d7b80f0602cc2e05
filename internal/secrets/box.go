package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// ErrDecrypt means a ciphertext cannot be opened: it was sealed under another
// key or another name, or it was altered.
var ErrDecrypt = errors.New("secret cannot be decrypted")

// version prefixes every ciphertext, so that the format or the key can change
// later without guessing what old ciphertexts are.
const version byte = 1

// Box seals and opens secrets with AES-256-GCM. A Box is safe for concurrent
// use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box that uses key, which must be KeySize bytes.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("new secrets box: %w: got %d bytes", ErrBadKey, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new secrets box: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("new secrets box: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext for the secret called name, with a random nonce.
// The name is authenticated, so the result opens only under the same name.
func (b *Box) Seal(name string, plaintext []byte) ([]byte, error) {
	nonceSize := b.aead.NonceSize()
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+b.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal secret %s: %w", name, err)
	}
	return b.aead.Seal(out, out[1:], plaintext, []byte(name)), nil
}

// Open decrypts a ciphertext that Seal made for the secret called name. It
// returns ErrDecrypt when the ciphertext was not sealed under this key and
// name, or was altered.
func (b *Box) Open(name string, ciphertext []byte) ([]byte, error) {
	nonceSize := b.aead.NonceSize()
	if len(ciphertext) < 1+nonceSize+b.aead.Overhead() {
		return nil, fmt.Errorf("open secret %s: %w: too short", name, ErrDecrypt)
	}
	if ciphertext[0] != version {
		return nil, fmt.Errorf("open secret %s: %w: unknown format %d", name, ErrDecrypt, ciphertext[0])
	}
	nonce, sealed := ciphertext[1:1+nonceSize], ciphertext[1+nonceSize:]
	plaintext, err := b.aead.Open(nil, nonce, sealed, []byte(name))
	if err != nil {
		return nil, fmt.Errorf("open secret %s: %w", name, ErrDecrypt)
	}
	return plaintext, nil
}
