package orchestration

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/store"
	v1 "github.com/slipway/slipway/pkg/apis/orchestration/v1"
)

func heatTime(t *time.Time) *string {
	if t == nil || t.IsZero() {
		return nil
	}
	s := t.UTC().Format(v1.TimeFormat)
	return &s
}

func (s *Server) stackToWire(r *http.Request, st *model.Stack, full bool) v1.Stack {
	out := v1.Stack{
		ID: st.UUID, StackName: st.Name, Description: st.Description, StackStatus: st.StackStatus(),
		StackStatusReason: st.StatusReason, CreationTime: *heatTime(&st.CreatedAt),
		UpdatedTime: heatTime(st.UpdatedAt), Links: []v1.Link{{Href: s.stackURL(r, st), Rel: "self"}},
		Project: st.ProjectID, StackUserProjectID: st.ProjectID, Tags: st.Tags,
	}
	if st.ParentID != "" {
		out.Parent = &st.ParentID
	}
	if st.Deleted() {
		out.DeletionTime = out.UpdatedTime
	}
	if !full {
		return out
	}
	params := map[string]string{"OS::stack_id": st.UUID, "OS::stack_name": st.Name, "OS::project_id": st.ProjectID}
	maps.Copy(params, st.Parameters)
	out.Parameters = params
	out.Outputs = []v1.Output{}
	for _, o := range st.Outputs {
		out.Outputs = append(out.Outputs, v1.Output{OutputKey: o.Key, OutputValue: o.Value, Description: o.Description, OutputError: o.Error})
	}
	out.TemplateDescription = st.Description
	timeout, rollback := st.TimeoutMins, st.DisableRollback
	out.TimeoutMins, out.DisableRollback = &timeout, &rollback
	out.Capabilities, out.NotificationTopics = []any{}, []any{}
	return out
}

func (s *Server) listStacks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	all, err := store.List[model.Stack](r.Context(), s.st, store.Query{ProjectID: r.PathValue("project")})
	if err != nil {
		return err
	}
	showNested, _ := strconv.ParseBool(q.Get("show_nested"))
	out := []v1.Stack{}
	for _, st := range all {
		if st.Deleted() || (st.ParentID != "" && !showNested) {
			continue
		}
		if name := q.Get("name"); name != "" && st.Name != name {
			continue
		}
		if status := q.Get("status"); status != "" && string(st.Status) != status && st.StackStatus() != status {
			continue
		}
		out = append(out, s.stackToWire(r, st, false))
	}
	if q.Get("sort_dir") == "desc" {
		slices.Reverse(out)
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n >= 0 && n < len(out) {
		out = out[:n]
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"stacks": out})
	return nil
}

// request turns a create or update body into an engine request.
func request(r *http.Request, in *v1.StackCreate) (engine.StackRequest, error) {
	c := api.Credentials(r.Context())
	req := engine.StackRequest{ProjectID: r.PathValue("project"), Name: in.StackName, Existing: in.Existing}
	if c != nil {
		req.UserID = c.UserID
	}
	if in.TemplateURL != "" && len(in.Template) == 0 {
		return req, model.Invalidf("template_url is not supported: send the template in the request (heatclient does so for local files).")
	}
	tmpl, err := jsonOrString(in.Template)
	if err != nil {
		return req, model.Invalidf("The template is not valid: %v.", err)
	}
	req.Template = tmpl
	req.Files = map[string]string{}
	for name, raw := range in.Files {
		v, err := jsonOrString(raw)
		if err != nil {
			return req, model.Invalidf("File %s is not valid: %v.", name, err)
		}
		req.Files[name] = v
	}
	env, err := mergeEnvironments(in.EnvironmentFiles, req.Files, in.Environment)
	if err != nil {
		return req, err
	}
	req.Environment = env
	req.Parameters = map[string]string{}
	for k, raw := range in.Parameters {
		v, err := jsonOrString(raw)
		if err != nil {
			return req, model.Invalidf("Parameter %s is not valid: %v.", k, err)
		}
		req.Parameters[k] = v
	}
	if in.TimeoutMins != nil {
		req.TimeoutMins = *in.TimeoutMins
	}
	if in.DisableRollback != nil {
		req.DisableRollback = *in.DisableRollback
	} else {
		req.DisableRollback = true
	}
	if len(in.Tags) > 0 {
		var list []string
		if err := json.Unmarshal(in.Tags, &list); err != nil {
			var csv string
			if err := json.Unmarshal(in.Tags, &csv); err != nil {
				return req, model.Invalidf("tags must be a list or a comma-separated string.")
			}
			list = strings.Split(csv, ",")
		}
		req.Tags = list
	}
	return req, nil
}

// jsonOrString returns a JSON string's value, or any other JSON value as
// JSON text (heatclient sends templates and environments as objects).
func jsonOrString(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case float64, bool:
		return fmt.Sprint(x), nil
	}
	return string(raw), nil
}

// mergeEnvironments merges the environment files heatclient names (their
// bodies are in files) in order, then the environment object on top, as
// Heat does.
func mergeEnvironments(names []string, files map[string]string, env json.RawMessage) (string, error) {
	merged := map[string]any{}
	for _, name := range names {
		body, ok := files[name]
		if !ok {
			return "", model.Invalidf("Environment file %s is not among the files sent.", name)
		}
		var m map[string]any
		if err := yaml.Unmarshal([]byte(body), &m); err != nil {
			return "", model.Invalidf("Environment file %s is not valid YAML: %v.", name, err)
		}
		deepMerge(merged, m)
	}
	body, err := jsonOrString(env)
	if err != nil {
		return "", model.Invalidf("The environment is not valid: %v.", err)
	}
	if body != "" {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(body), &m); err != nil {
			return "", model.Invalidf("The environment is not valid YAML: %v.", err)
		}
		deepMerge(merged, m)
	}
	if len(merged) == 0 {
		return "", nil
	}
	b, err := json.Marshal(merged)
	return string(b), err
}

func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

func decode(r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 32<<20)).Decode(v); err != nil {
		return model.Invalidf("The request body is not valid JSON: %v.", err)
	}
	return nil
}

func (s *Server) createStack(w http.ResponseWriter, r *http.Request) error {
	var in v1.StackCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.StackName == "" {
		return model.Invalidf("The stack name is required (stack_name).")
	}
	req, err := request(r, &in)
	if err != nil {
		return err
	}
	st, err := s.engine.Create(r.Context(), req)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusCreated, map[string]any{"stack": v1.StackRef{
		ID: st.UUID, Links: []v1.Link{{Href: s.stackURL(r, st), Rel: "self"}},
	}})
	return nil
}

func (s *Server) showStack(w http.ResponseWriter, r *http.Request) error {
	st, err := s.stackFromPath(r)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"stack": s.stackToWire(r, st, true)})
	return nil
}

func (s *Server) updateStack(w http.ResponseWriter, r *http.Request) error {
	return s.update(w, r, false)
}

func (s *Server) patchStack(w http.ResponseWriter, r *http.Request) error {
	return s.update(w, r, true)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, existing bool) error {
	var in v1.StackCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := s.stackFromPath(r)
	if err != nil {
		return err
	}
	in.Existing = in.Existing || existing
	req, err := request(r, &in)
	if err != nil {
		return err
	}
	req.Name = st.Name
	if _, err := s.engine.Update(r.Context(), st.UUID, req); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusAccepted, map[string]any{})
	return nil
}

func (s *Server) deleteStack(w http.ResponseWriter, r *http.Request) error {
	st, err := s.stackFromPath(r)
	if err != nil {
		return err
	}
	if err := s.engine.Delete(r.Context(), st.UUID); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusNoContent, nil)
	return nil
}

func (s *Server) stackAction(w http.ResponseWriter, r *http.Request) error {
	var in map[string]any
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := s.stackFromPath(r)
	if err != nil {
		return err
	}
	if len(in) != 1 {
		return model.Invalidf("An action body names exactly one action.")
	}
	for action := range in {
		switch action {
		case "cancel_update", "cancel_without_rollback":
			if err := s.engine.Cancel(r.Context(), st.UUID); err != nil {
				return err
			}
		default:
			return model.Invalidf("Action %s is not supported; Slipway supports cancel_update.", action)
		}
	}
	api.WriteJSON(w, http.StatusAccepted, map[string]any{})
	return nil
}

func (s *Server) showTemplate(w http.ResponseWriter, r *http.Request) error {
	st, err := s.stackFromPath(r)
	if err != nil {
		return err
	}
	var doc any
	if err := yaml.Unmarshal([]byte(st.Template), &doc); err != nil {
		return fmt.Errorf("decode stored template of stack %s: %w", st.UUID, err)
	}
	api.WriteJSON(w, http.StatusOK, doc)
	return nil
}

func (s *Server) listOutputs(w http.ResponseWriter, r *http.Request) error {
	st, err := s.stackFromPath(r)
	if err != nil {
		return err
	}
	out := []v1.Output{}
	for _, o := range st.Outputs {
		out = append(out, v1.Output{OutputKey: o.Key, Description: o.Description})
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"outputs": out})
	return nil
}

func (s *Server) showOutput(w http.ResponseWriter, r *http.Request) error {
	st, err := s.stackFromPath(r)
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	for _, o := range st.Outputs {
		if o.Key == key {
			api.WriteJSON(w, http.StatusOK, map[string]any{"output": v1.Output{
				OutputKey: o.Key, OutputValue: o.Value, Description: o.Description, OutputError: o.Error,
			}})
			return nil
		}
	}
	return model.NotFoundf("Specified output key %s not found.", key)
}
