package identity

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/slipway/slipway/internal/model"
)

// maxSecretLen is the longest password or secret bcrypt can hash.
const maxSecretLen = 72

// hashSecret hashes a password or application-credential secret.
func (s *Service) hashSecret(secret string) (string, error) {
	if secret == "" {
		return "", model.Invalidf("The password must not be empty.")
	}
	if len(secret) > maxSecretLen {
		return "", model.Invalidf("The password must be at most %d bytes long.", maxSecretLen)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(secret), s.opts.PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// checkSecret reports whether secret matches hash. An empty hash matches
// nothing, but costs as much as a real comparison.
func (s *Service) checkSecret(hash, secret string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(s.dummyPW, []byte(secret))
		return false
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(secret))
	if err != nil && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		s.log.Warn("compare password hash", "error", err)
	}
	return err == nil
}

// randomString returns n URL-safe random characters.
func randomString(n int) string {
	b := make([]byte, (n*6+7)/8)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
