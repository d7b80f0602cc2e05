package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/node"
	"github.com/slipway/slipway/internal/secrets"
	"github.com/slipway/slipway/internal/store"
	storesql "github.com/slipway/slipway/internal/store/sql"
)

// TestIncludeHandler serves a document only for its exact token.
func TestIncludeHandler(t *testing.T) {
	key, err := secrets.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := storesql.Open(t.Context(), filepath.Join(t.TempDir(), "db"), box)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	token := strings.Repeat("ab", 32)
	doc := "slipway_bootstrap: v1\nwrite_files: [{path: /etc/k, content: key}]\n"
	if err := st.InTx(t.Context(), func(tx store.Writer) error {
		return tx.PutSecret(t.Context(), node.IncludeSecret(token), []byte(doc))
	}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+node.IncludePrefix+"{token}", includeHandler(st, slog.New(slog.DiscardHandler)))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for path, want := range map[string]int{
		node.IncludePrefix + token:                      http.StatusOK,
		node.IncludePrefix + strings.Repeat("cd", 32):   http.StatusNotFound,
		node.IncludePrefix + "short":                    http.StatusNotFound,
		node.IncludePrefix + strings.ToUpper(token):     http.StatusNotFound,
		node.IncludePrefix + token[:62] + "/../" + "zz": http.StatusNotFound,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
		if want == http.StatusOK && string(body) != doc {
			t.Errorf("GET %s: %q, want the document", path, body)
		}
		if want != http.StatusOK && strings.Contains(string(body), "key") {
			t.Errorf("GET %s leaked the document", path)
		}
	}
}
