package magnum

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/policy"
	"github.com/slipway/slipway/internal/store"
)

// maxLimit is the largest page, Magnum's [api] max_limit.
const maxLimit = 1000

// maxBody caps request bodies.
const maxBody = 1 << 20

func subject(r *http.Request) policy.Subject {
	c := api.Credentials(r.Context())
	if c == nil {
		return policy.Subject{}
	}
	return policy.Subject{UserID: c.UserID, ProjectID: c.ProjectID, Roles: c.Roles}
}

func isUUID(s string) bool {
	if len(s) != 36 && len(s) != 32 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, model.Invalidf("The request body could not be read: %v.", err)
	}
	if len(b) > maxBody {
		return nil, model.Invalidf("The request body is larger than %d bytes.", maxBody)
	}
	return b, nil
}

// jsonFields lists the JSON names of a struct type's fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// decodeStrict decodes a JSON object into dst (a pointer to a struct),
// rejecting unknown attributes and read-only ones, as Magnum does.
func decodeStrict(r *http.Request, dst any, readOnly ...string) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return model.Invalidf("The request body must be a JSON object.")
	}
	known := jsonFields(reflect.TypeOf(dst).Elem())
	for k := range raw {
		if slices.Contains(readOnly, k) {
			return model.Invalidf("Cannot set read only field %s.", k)
		}
		if !slices.Contains(known, k) {
			return model.Invalidf("Unknown attribute for argument: %s.", k)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return model.Invalidf("Invalid input for field/attribute %s. Value: %s. %s is not of the expected type %s.", te.Field, te.Value, te.Value, te.Type)
		}
		return model.Invalidf("Invalid input: %v.", err)
	}
	return nil
}

// page is a parsed pagination request.
type page struct {
	limit   int
	marker  string
	sortKey string
	sortDir string
}

func parsePage(r *http.Request, sortKeys []string) (page, error) {
	q := r.URL.Query()
	p := page{limit: maxLimit, marker: q.Get("marker"), sortKey: q.Get("sort_key"), sortDir: q.Get("sort_dir")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return p, model.Invalidf("Limit must be positive integer.")
		}
		p.limit = min(n, maxLimit)
	}
	if p.sortKey == "" {
		p.sortKey = "id"
	}
	if !slices.Contains(sortKeys, p.sortKey) {
		return p, model.Invalidf("The sort_key value %q is an invalid field for sorting.", p.sortKey)
	}
	switch p.sortDir {
	case "":
		p.sortDir = "asc"
	case "asc", "desc":
	default:
		return p, model.Invalidf("Invalid sort direction: %s. Acceptable values are 'asc' or 'desc'.", p.sortDir)
	}
	if p.marker != "" && !isUUID(p.marker) {
		return p, model.Invalidf("Marker %s is not a valid UUID.", p.marker)
	}
	return p, nil
}

func (p page) query() store.Query {
	return store.Query{SortKey: p.sortKey, SortDesc: p.sortDir == "desc", Marker: p.marker, Limit: p.limit}
}

// next returns the link to the following page, present only when this page
// is full.
func (s *Server) next(r *http.Request, resource string, p page, n int, last string) string {
	if n == 0 || n < p.limit {
		return ""
	}
	return fmt.Sprintf("%s/v1/%s?sort_key=%s&sort_dir=%s&limit=%d&marker=%s",
		s.baseURL(r), resource, url.QueryEscape(p.sortKey), p.sortDir, p.limit, last)
}

// markerNotFound turns a store miss on the marker into Magnum's 404.
func markerNotFound(err error, p page) error {
	if errors.Is(err, store.ErrNotFound) {
		return model.NotFoundf("Marker %s could not be found.", p.marker)
	}
	return err
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nonNilLabels(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
