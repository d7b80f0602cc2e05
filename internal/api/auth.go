package api

import (
	"context"
	"net/http"

	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/model"
)

// TokenValidator turns a bearer token into the caller's credentials.
type TokenValidator interface {
	Validate(ctx context.Context, token string) (*identity.Credentials, error)
}

// Authenticate requires a valid X-Auth-Token on every request it wraps. A
// missing or bad token gets a 401 in Keystone's format, as keystonemiddleware
// answers, with a WWW-Authenticate header naming authURI.
func Authenticate(v TokenValidator, authURI string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("X-Auth-Token")
		if token == "" {
			w.Header().Set("WWW-Authenticate", `Keystone uri="`+authURI+`"`)
			WriteKeystoneError(w, r, model.Unauthorizedf("The request you have made requires authentication."))
			return
		}
		creds, err := v.Validate(r.Context(), token)
		if err != nil {
			if status, _ := Status(err); status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Keystone uri="`+authURI+`"`)
			}
			WriteKeystoneError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithCredentials(r.Context(), creds)))
	})
}
