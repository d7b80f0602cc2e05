package magnum

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/slipway/slipway/internal/api"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

type v1Link = v1.Link

// maxMinor is the newest microversion served, 1.maxMinor.
const maxMinor = 12

type versionKey struct{}

func withVersion(ctx context.Context, minor int) context.Context {
	return context.WithValue(ctx, versionKey{}, minor)
}

// versionFrom returns the negotiated minor version (1.x).
func versionFrom(ctx context.Context) int {
	v, ok := ctx.Value(versionKey{}).(int)
	if !ok {
		return 1
	}
	return v
}

// serviceTokens are the service names accepted in the version header.
var serviceTokens = map[string]bool{
	"container-infra":                     true,
	"container-infrastructure":            true,
	"container-infrastructure-management": true,
}

// negotiate parses OpenStack-API-Version and sets the version headers that
// every /v1 response carries, 406s included.
func negotiate(w http.ResponseWriter, r *http.Request) (int, error) {
	h := w.Header()
	h.Set("OpenStack-API-Minimum-Version", v1.ServiceType+" "+v1.MinVersion)
	h.Set("OpenStack-API-Maximum-Version", v1.ServiceType+" "+v1.MaxVersion)
	h.Add("Vary", v1.VersionHeader)
	minor, err := parseVersionHeader(r.Header.Get(v1.VersionHeader))
	if err != nil {
		h.Set(v1.VersionHeader, v1.ServiceType+" "+v1.MinVersion)
		return 0, err
	}
	h.Set(v1.VersionHeader, fmt.Sprintf("%s 1.%d", v1.ServiceType, minor))
	return minor, nil
}

func parseVersionHeader(value string) (int, error) {
	if strings.TrimSpace(value) == "" {
		return 1, nil
	}
	fields := strings.Fields(value)
	if len(fields) != 2 {
		return 0, &api.VersionError{Message: fmt.Sprintf("Invalid value for %s header: %q.", v1.VersionHeader, value), Min: v1.MinVersion, Max: v1.MaxVersion}
	}
	if !serviceTokens[strings.ToLower(fields[0])] {
		return 0, &api.VersionError{Message: "Invalid service type for OpenStack-API-Version header.", Min: v1.MinVersion, Max: v1.MaxVersion}
	}
	if strings.EqualFold(fields[1], "latest") {
		return maxMinor, nil
	}
	major, minorS, ok := strings.Cut(fields[1], ".")
	minor, err := strconv.Atoi(minorS)
	if !ok || err != nil || major == "" {
		return 0, &api.VersionError{Message: fmt.Sprintf("Invalid API version %q: it must be of the form X.Y.", fields[1]), Min: v1.MinVersion, Max: v1.MaxVersion}
	}
	if major != "1" || minor < 1 || minor > maxMinor {
		return 0, &api.VersionError{
			Message: fmt.Sprintf("Version %s was requested but the minor version is not supported by this service. The supported version range is: [%s, %s].", fields[1], v1.MinVersion, v1.MaxVersion),
			Min:     v1.MinVersion, Max: v1.MaxVersion,
		}
	}
	return minor, nil
}

func (s *Server) rootDocument(w http.ResponseWriter, r *http.Request) error {
	api.WriteJSON(w, http.StatusOK, v1.RootDocument{
		Name:        "OpenStack Magnum API",
		Description: "Magnum is an OpenStack project which aims to provide container cluster management.",
		Versions:    []v1.Version{s.version(r)},
	})
	return nil
}

func (s *Server) version(r *http.Request) v1.Version {
	return v1.Version{
		ID: "v1", Status: "CURRENT", MinVersion: v1.MinVersion, MaxVersion: v1.MaxVersion,
		Links: []v1.Link{{Href: s.baseURL(r) + "/v1/", Rel: "self"}},
	}
}

func (s *Server) v1Document(w http.ResponseWriter, r *http.Request) error {
	base := s.baseURL(r)
	doc := map[string]any{
		"id":          "v1",
		"media_types": []v1.MediaType{{Base: "application/json", Type: "application/vnd.openstack.magnum.v1+json"}},
		"links": []v1.Link{
			{Href: base + "/v1/", Rel: "self"},
			{Href: "http://docs.openstack.org/developer/magnum/dev/api-spec-v1.html", Rel: "describedby", Type: "text/html"},
		},
		// Real Magnum lacks this; gophercloud's version helpers need it.
		"versions": []v1.Version{s.version(r)},
	}
	for _, c := range []string{"clustertemplates", "clusters", "quotas", "certificates", "mservices", "stats", "federations", "credentials"} {
		doc[c] = []v1.Link{{Href: base + "/v1/" + c + "/", Rel: "self"}, {Href: base + "/" + c + "/", Rel: "bookmark"}}
	}
	doc["nodegroups"] = []v1.Link{
		{Href: base + "/v1/clusters/{cluster_id}/nodegroups", Rel: "self"},
		{Href: base + "/clusters/{cluster_id}/nodegroups", Rel: "bookmark"},
	}
	api.WriteJSON(w, http.StatusOK, doc)
	return nil
}
