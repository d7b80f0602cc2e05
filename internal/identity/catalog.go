package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// CatalogEntry is one service of a token's catalog.
type CatalogEntry struct {
	ID        string
	Type      string
	Name      string
	Endpoints []Endpoint
}

// Endpoint is one URL of a catalog service.
type Endpoint struct {
	ID        string
	Interface string
	Region    string
	URL       string
}

// Catalog returns the service catalog for a token scoped to projectID. It
// is empty for unscoped tokens. Every service is listed under the public,
// internal and admin interfaces, with the same URL.
func (s *Service) Catalog(projectID string) []CatalogEntry {
	if projectID == "" {
		return []CatalogEntry{}
	}
	out := make([]CatalogEntry, 0, len(s.opts.Catalog))
	for _, svc := range s.opts.Catalog {
		url := strings.ReplaceAll(svc.URL, "{project_id}", projectID)
		e := CatalogEntry{ID: stableID("service", svc.Type, svc.Name), Type: svc.Type, Name: svc.Name}
		for _, iface := range []string{"public", "internal", "admin"} {
			e.Endpoints = append(e.Endpoints, Endpoint{
				ID:        stableID("endpoint", svc.Type, svc.Name, iface),
				Interface: iface,
				Region:    s.opts.Region,
				URL:       url,
			})
		}
		out = append(out, e)
	}
	return out
}

// stableID derives a Keystone-style 32-hex-digit id from parts, the same
// every time.
func stableID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}
