package orchestration

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
	v1 "github.com/slipway/slipway/pkg/apis/orchestration/v1"
)

func (s *Server) resourceToWire(r *http.Request, st *model.Stack, res *model.StackResource, full bool) v1.Resource {
	created := heatTime(&res.CreatedAt)
	updated := created
	if res.UpdatedAt != nil {
		updated = heatTime(res.UpdatedAt)
	}
	self := s.stackURL(r, st) + "/resources/" + url.PathEscape(res.Name)
	out := v1.Resource{
		ResourceName: res.Name, LogicalResourceID: res.Name, PhysicalResourceID: res.PhysicalID,
		ResourceType: res.Type, ResourceStatus: res.ResourceStatus(), ResourceStatusReason: res.StatusReason,
		CreationTime: *created, UpdatedTime: *updated, RequiredBy: res.RequiredBy,
		Links: []v1.Link{{Href: self, Rel: "self"}, {Href: s.stackURL(r, st), Rel: "stack"}},
	}
	if out.RequiredBy == nil {
		out.RequiredBy = []string{}
	}
	if res.NestedID != "" {
		out.Links = append(out.Links, v1.Link{Href: s.baseURL(r) + "/v1/" + st.ProjectID + "/stacks/" + res.NestedID, Rel: "nested"})
	}
	if full {
		out.Attributes = res.Attributes
		out.Description = res.Description
		out.Metadata = res.Metadata
		if out.Attributes == nil {
			out.Attributes = map[string]any{}
		}
	}
	return out
}

func (s *Server) listResources(w http.ResponseWriter, r *http.Request) error {
	st, err := s.stackFromPath(r)
	if err != nil {
		return err
	}
	depth, _ := strconv.Atoi(r.URL.Query().Get("nested_depth"))
	tree, err := s.engine.ResourceTree(r.Context(), st.UUID, depth)
	if err != nil {
		return err
	}
	out := make([]v1.Resource, 0, len(tree))
	for _, n := range tree {
		owner := st
		if n.Depth > 0 {
			owner = &model.Stack{Meta: model.Meta{UUID: n.StackID}, Name: n.StackName, ProjectID: st.ProjectID}
		}
		w := s.resourceToWire(r, owner, n.StackResource, false)
		if n.Depth > 0 {
			w.ParentResource, w.StackName = n.ParentResource, n.StackName
		}
		out = append(out, w)
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"resources": out})
	return nil
}

func (s *Server) showResource(w http.ResponseWriter, r *http.Request) error {
	st, err := s.stackFromPath(r)
	if err != nil {
		return err
	}
	rec, err := s.engine.Resource(r.Context(), st.UUID, r.PathValue("resource"))
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"resource": s.resourceToWire(r, st, rec, true)})
	return nil
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	st, err := s.stackFromPath(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	events, err := store.List[model.StackEvent](r.Context(), s.st, store.Query{Parent: st.UUID, Name: r.PathValue("resource")})
	if err != nil {
		return err
	}
	if name := q.Get("resource_name"); name != "" {
		events = slices.DeleteFunc(events, func(e *model.StackEvent) bool { return e.ResourceName != name })
	}
	if statuses := q["resource_status"]; len(statuses) > 0 {
		events = slices.DeleteFunc(events, func(e *model.StackEvent) bool {
			return !slices.Contains(statuses, string(e.Status)) && !slices.Contains(statuses, string(e.Action)+"_"+string(e.Status))
		})
	}
	if q.Get("sort_dir") == "desc" {
		slices.Reverse(events)
	}
	if m := q.Get("marker"); m != "" {
		i := slices.IndexFunc(events, func(e *model.StackEvent) bool { return e.UUID == m })
		if i < 0 {
			return model.NotFoundf("The Event (%s) could not be found.", m)
		}
		events = events[i+1:]
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n >= 0 && n < len(events) {
		events = events[:n]
	}
	out := make([]v1.Event, 0, len(events))
	for _, e := range events {
		self := s.stackURL(r, st) + "/resources/" + url.PathEscape(e.ResourceName) + "/events/" + e.UUID
		out = append(out, v1.Event{
			ID: e.UUID, EventTime: *heatTime(&e.Time), ResourceName: e.ResourceName,
			LogicalResourceID: e.ResourceName, PhysicalResourceID: e.PhysicalID,
			ResourceStatus: string(e.Action) + "_" + string(e.Status), ResourceStatusReason: e.Reason,
			Links: []v1.Link{{Href: self, Rel: "self"}, {Href: s.stackURL(r, st), Rel: "stack"}},
		})
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"events": out})
	return nil
}

// signal delivers a signal. The caller authenticates with a Keystone token
// of the stack's project, or with the resource's signal token, as the
// curl_cli of a wait-condition handle does.
func (s *Server) signal(w http.ResponseWriter, r *http.Request) error {
	token := r.Header.Get("X-Auth-Token")
	if token == "" {
		// A scaling policy's alarm_url carries its token in the query.
		token = r.URL.Query().Get("token")
	}
	if token == "" {
		w.Header().Set("WWW-Authenticate", `Keystone uri="`+s.opts.AuthURI+`"`)
		return model.Unauthorizedf("The request you have made requires authentication.")
	}
	project := r.PathValue("project")
	st, err := s.findStack(r.Context(), project, r.PathValue("id"))
	if err != nil {
		return err
	}
	resource := r.PathValue("resource")
	if creds, err := s.validator.Validate(r.Context(), token); err == nil {
		if creds.ProjectID != project && !creds.IsAdmin() {
			return model.Forbiddenf("The project %s in the URL is not the project of your token.", project)
		}
	} else if err := s.engine.CheckSignalToken(r.Context(), st.UUID, resource, token); err != nil {
		return err
	}
	body, err := readAll(r)
	if err != nil {
		return err
	}
	if err := s.engine.Signal(r.Context(), st.UUID, resource, body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func readAll(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil {
		return nil, model.Invalidf("The signal body could not be read: %v.", err)
	}
	if len(b) > 1<<20 {
		return nil, model.Invalidf("The signal body is larger than 1 MiB.")
	}
	return b, nil
}
