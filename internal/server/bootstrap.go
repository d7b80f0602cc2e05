package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/slipway/slipway/internal/node"
	"github.com/slipway/slipway/internal/store"
)

// includeHandler serves the documents that machines' bootstrap documents
// include (node.IncludePrefix + token). The token is the credential: a
// random 256-bit value a driver gives one machine, whose document (with
// its keys) is a sealed secret. An unknown token is a 404, as an absent
// one would be.
func includeHandler(st store.Store, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.PathValue("token")
		if !node.ValidIncludeToken(token) {
			http.NotFound(w, r)
			return
		}
		doc, err := st.GetSecret(r.Context(), node.IncludeSecret(token))
		switch {
		case errors.Is(err, store.ErrNotFound):
			http.NotFound(w, r)
			return
		case err != nil:
			log.Error("serve an included bootstrap document", "error", err)
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/yaml")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(doc)
	})
}
