package identity

import (
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// BenchmarkValidate measures token validation on SQLite, read from the
// store (cache off) and from the in-process cache.
func BenchmarkValidate(b *testing.B) {
	for _, bc := range []struct {
		name     string
		cacheTTL time.Duration
	}{{"store", -1}, {"cached", DefaultCacheTTL}} {
		b.Run(bc.name, func(b *testing.B) {
			svc := New(openSQLite(b), Options{PasswordCost: bcrypt.MinCost, CacheTTL: bc.cacheTTL})
			if _, err := svc.Bootstrap(b.Context(), BootstrapOptions{AdminPassword: "pw"}); err != nil {
				b.Fatal(err)
			}
			tok, _, _, err := svc.Authenticate(b.Context(), passwordAuth("admin", "pw", projectScope("admin")))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svc.Validate(b.Context(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
