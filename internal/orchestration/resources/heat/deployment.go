package heat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
)

// DeploymentData is the Data key under which a deployment keeps the
// document its server's agent runs: the config with its inputs, including
// where to signal the result (deploy_signal_id, with the token in
// resources.SignalTokenKey).
const DeploymentData = "deployment"

// deploymentDoc is what a server's agent reads of a deployment, in the
// shape heat-config consumes.
type deploymentDoc struct {
	ID      string           `json:"id"`
	Name    string           `json:"name"`
	Group   string           `json:"group"`
	Config  any              `json:"config"`
	Options any              `json:"options,omitempty"`
	Inputs  []map[string]any `json:"inputs"`
	Outputs any              `json:"outputs,omitempty"`
	Action  string           `json:"action"`
	Server  string           `json:"server"`
}

// SoftwareDeployment is OS::Heat::SoftwareDeployment: it hands a software
// config to a server's agent and waits for the agent to signal the result
// (deploy_stdout, deploy_stderr, deploy_status_code and the config's
// outputs). A non-zero status code fails the deployment. The agent side
// comes with the provider: it finds the deployments naming its server and
// reads DeploymentData.
type SoftwareDeployment struct{}

// Schema implements resources.Plugin.
func (SoftwareDeployment) Schema() *hot.Schema { return deploymentSchema() }

// run publishes the deployment for action and waits for its signal.
func (d SoftwareDeployment) run(ctx context.Context, r *resources.Resource, action string) error {
	actions := []string{"CREATE", "UPDATE"}
	if l, ok := r.Properties["actions"].([]any); ok {
		actions = actions[:0]
		for _, a := range l {
			actions = append(actions, fmt.Sprint(a))
		}
	}
	if !slices.Contains(actions, action) {
		return nil
	}
	if err := ensureToken(r); err != nil {
		return err
	}
	doc, err := d.document(ctx, r, action)
	if err != nil {
		return err
	}
	r.SetData(DeploymentData, mustJSON(doc))
	if r.Prop("signal_transport") == "NO_SIGNAL" {
		return nil
	}
	// Signals up to signals_seen answered earlier runs; this run waits
	// for a new one.
	seen, _ := strconv.Atoi(r.Data["signals_seen"])
	return r.Host.Wait(ctx, func(ctx context.Context) (bool, error) {
		sigs, err := r.Host.Signals(ctx, r.Stack.ID, r.PhysicalID)
		if err != nil {
			return false, err
		}
		if len(sigs) <= seen {
			return false, nil
		}
		r.SetData("signals_seen", strconv.Itoa(len(sigs)))
		var body map[string]any
		_ = json.Unmarshal(sigs[len(sigs)-1].Body, &body)
		if code := integer(body["deploy_status_code"], 0); code != 0 {
			return false, fmt.Errorf("Deployment to server failed: deploy_status_code : Deployment exited with non-zero status code: %d", code)
		}
		return true, nil
	})
}

// document builds the agent's view of the deployment.
func (SoftwareDeployment) document(ctx context.Context, r *resources.Resource, action string) (*deploymentDoc, error) {
	doc := &deploymentDoc{ID: r.PhysicalID, Name: r.Prop("name"), Group: "Heat::Ungrouped",
		Action: action, Server: r.Prop("server")}
	if doc.Name == "" {
		doc.Name = r.Name
	}
	if cfgID := r.Prop("config"); cfgID != "" {
		rec, err := r.Host.Lookup(ctx, r.Stack.ProjectID, cfgID)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", cfgID, err)
		}
		var cfg configDoc
		if err := json.Unmarshal([]byte(rec.Data[configData]), &cfg); err != nil {
			return nil, fmt.Errorf("config %s is not a software config", cfgID)
		}
		doc.Group, doc.Config, doc.Options, doc.Outputs = cfg.Group, cfg.Config, cfg.Options, cfg.Outputs
		values, _ := r.Properties["input_values"].(map[string]any)
		declared, _ := cfg.Inputs.([]any)
		for _, in := range declared {
			m, _ := in.(map[string]any)
			name, _ := m["name"].(string)
			item := map[string]any{"name": name, "type": m["type"], "description": m["description"], "value": m["default"]}
			if v, ok := values[name]; ok {
				item["value"] = v
			}
			doc.Inputs = append(doc.Inputs, item)
		}
	}
	for _, kv := range [][2]string{
		{"deploy_server_id", doc.Server},
		{"deploy_action", action},
		{"deploy_stack_id", r.Stack.Name + "/" + r.Stack.ID},
		{"deploy_resource_name", r.Name},
		{"deploy_signal_transport", "HEAT_SIGNAL"},
		{"deploy_signal_id", r.Host.SignalURL(r)},
		{"deploy_signal_verb", "POST"},
		{"deploy_auth_token", r.Data[resources.SignalTokenKey]},
	} {
		doc.Inputs = append(doc.Inputs, map[string]any{"name": kv[0], "type": "String", "value": kv[1]})
	}
	return doc, nil
}

// Create implements resources.Plugin.
func (d SoftwareDeployment) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := d.run(ctx, r, "CREATE"); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update implements resources.Plugin.
func (d SoftwareDeployment) Update(ctx context.Context, r, _ *resources.Resource) error {
	return d.run(ctx, r, "UPDATE")
}

// Delete implements resources.Plugin: a deployment with DELETE among its
// actions waits for the agent to signal.
func (d SoftwareDeployment) Delete(ctx context.Context, r *resources.Resource) error {
	return d.run(ctx, r, "DELETE")
}

// Check implements resources.Plugin: a resumed deployment waits again.
func (d SoftwareDeployment) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	if err := d.run(ctx, r, "CREATE"); err != nil {
		return false, err
	}
	return true, nil
}

// HandleSignal implements resources.Signaler: the agent's result, a JSON
// object, is stored as given.
func (SoftwareDeployment) HandleSignal(_ context.Context, _ *resources.Resource, body []byte) (json.RawMessage, error) {
	var m map[string]any
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, model.Invalidf("Signal data must be a JSON object")
	}
	return json.RawMessage(body), nil
}

// Attributes implements resources.Plugin: the last signal's
// deploy_stdout, deploy_stderr, deploy_status_code and outputs.
func (SoftwareDeployment) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	attrs := map[string]any{"deploy_stdout": nil, "deploy_stderr": nil, "deploy_status_code": nil}
	sigs, err := r.Host.Signals(ctx, r.Stack.ID, r.PhysicalID)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, err
	}
	if len(sigs) > 0 {
		var body map[string]any
		_ = json.Unmarshal(sigs[len(sigs)-1].Body, &body)
		for k, v := range body {
			attrs[k] = v
		}
	}
	return attrs, nil
}

// SoftwareDeploymentGroup is OS::Heat::SoftwareDeploymentGroup: one
// SoftwareDeployment per entry of servers, as a nested stack.
type SoftwareDeploymentGroup struct{ nestedBase }

// Schema implements resources.Plugin.
func (SoftwareDeploymentGroup) Schema() *hot.Schema { return deploymentGroupSchema() }

func (SoftwareDeploymentGroup) apply(ctx context.Context, r *resources.Resource) error {
	servers, _ := r.Properties["servers"].(map[string]any)
	names := make([]string, 0, len(servers))
	for k := range servers {
		names = append(names, k)
	}
	sort.Strings(names)
	ms := make([]member, 0, len(names))
	for _, n := range names {
		props := map[string]any{"server": servers[n]}
		for _, k := range []string{"config", "input_values", "actions", "name", "signal_transport", "input_values_validate"} {
			if v, ok := r.Properties[k]; ok {
				props[k] = v
			}
		}
		ms = append(ms, member{Name: n, Type: "OS::Heat::SoftwareDeployment", Properties: props})
	}
	res, err := r.Host.ApplyNested(ctx, r, resources.NestedStack{Template: memberTemplate(ms), Files: r.Stack.Files})
	if err != nil {
		return err
	}
	r.NestedID = res.StackID
	r.SetData("members", mustJSON(names))
	return nil
}

// Create implements resources.Plugin.
func (g SoftwareDeploymentGroup) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := g.apply(ctx, r); err != nil {
		return "", err
	}
	return r.NestedID, nil
}

// Update implements resources.Plugin.
func (g SoftwareDeploymentGroup) Update(ctx context.Context, r, _ *resources.Resource) error {
	return g.apply(ctx, r)
}

// Check implements resources.Plugin.
func (g SoftwareDeploymentGroup) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	err := g.apply(ctx, r)
	return err == nil, err
}

// Attributes implements resources.Plugin: deploy_stdouts, deploy_stderrs
// and deploy_status_codes by server name, and the members for other
// attributes.
func (SoftwareDeploymentGroup) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	var names []string
	_ = json.Unmarshal([]byte(r.Data["members"]), &names)
	attrs, err := groupAttributes(ctx, r, names, nil)
	if err != nil {
		return nil, err
	}
	members, _ := attrs["members"].(map[string]any)
	for plural, single := range map[string]string{"deploy_stdouts": "deploy_stdout",
		"deploy_stderrs": "deploy_stderr", "deploy_status_codes": "deploy_status_code"} {
		m := map[string]any{}
		for n, ma := range members {
			mm, _ := ma.(map[string]any)
			m[n] = mm[single]
		}
		attrs[plural] = m
	}
	return attrs, nil
}

// ResolveAttribute implements resources.AttributeResolver.
func (SoftwareDeploymentGroup) ResolveAttribute(attrs map[string]any, path []any) (any, error) {
	name, _ := path[0].(string)
	switch name {
	case "deploy_stdouts", "deploy_stderrs", "deploy_status_codes":
		return hot.SelectPath(attrs[name], path[1:]), nil
	}
	return resolveGroupAttribute(attrs, path)
}
