package magnum

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/policy"
	"github.com/slipway/slipway/internal/store"
)

// listCacheBytes bounds the bodies the list cache keeps.
const listCacheBytes = 64 << 20

// listCache keeps encoded list answers, each valid while the generation of
// the kinds it was computed from is the one it was computed at.
type listCache struct {
	mu    sync.Mutex
	m     map[string]listEntry
	bytes int
	max   int
}

type listEntry struct {
	gen  int64
	body []byte
}

func newListCache(max int) *listCache {
	return &listCache{m: map[string]listEntry{}, max: max}
}

// get returns the body cached under key at gen.
func (c *listCache) get(key string, gen int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.gen != gen {
		return nil, false
	}
	return e.body, true
}

// put caches body under key at gen, evicting entries at random until the
// cache fits its bound. An entry of a later generation is not replaced by
// an earlier one.
func (c *listCache) put(key string, gen int64, body []byte) {
	if len(body) > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		if e.gen > gen {
			return
		}
		c.bytes -= len(e.body)
		delete(c.m, key)
	}
	for k, e := range c.m {
		if c.bytes+len(body) <= c.max {
			break
		}
		// Entries of an older generation go first only by chance; all of
		// a kind's entries go stale together anyway.
		c.bytes -= len(e.body)
		delete(c.m, k)
	}
	c.m[key] = listEntry{gen: gen, body: body}
	c.bytes += len(body)
}

// listKinds are the kinds a cluster list is computed from: clusters, the
// templates whose labels the detail compares with, and nodegroups, which
// change with the clusters' sizes.
var listKinds = []model.Kind{model.KindCluster, model.KindNodeGroup, model.KindClusterTemplate}

// cachedList answers r from the list cache when the store numbers its
// writes, else with build's answer, which it caches. route names the list;
// the answer depends on nothing but the route, the objects of kinds, what
// sub may see, the query, the microversion and the base URL.
func (s *Server) cachedList(w http.ResponseWriter, r *http.Request, route string, sub policy.Subject, kinds []model.Kind, build func() (any, error)) error {
	gs, ok := s.deps.Store.(store.Generations)
	if !ok || s.lists == nil {
		out, err := build()
		if err != nil {
			return err
		}
		return writeJSONBody(w, out)
	}
	// The generation is read before the objects: a write between the two
	// leaves a fresher answer under the older generation, which the next
	// request recomputes.
	gen, err := gs.Generation(r.Context(), kinds...)
	if err != nil {
		return err
	}
	scope := "admin"
	if !sub.IsAdmin() {
		scope = "project:" + sub.ProjectID
	}
	key := route + "\x00" + scope + "\x00" + r.URL.RawQuery + "\x00" +
		strconv.Itoa(versionFrom(r.Context())) + "\x00" + s.baseURL(r)
	if body, ok := s.lists.get(key, gen); ok {
		writeBody(w, body)
		return nil
	}
	out, err := build()
	if err != nil {
		return err
	}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	s.lists.put(key, gen, body)
	writeBody(w, body)
	return nil
}

// writeJSONBody writes v as api.WriteJSON does.
func writeJSONBody(w http.ResponseWriter, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	writeBody(w, body)
	return nil
}

// writeBody writes a 200 answer of JSON, as api.WriteJSON does.
func writeBody(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
