package heat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
)

// configDoc is a software config as deployments and agents read it.
type configDoc struct {
	Group   string `json:"group"`
	Config  any    `json:"config"`
	Options any    `json:"options,omitempty"`
	Inputs  any    `json:"inputs,omitempty"`
	Outputs any    `json:"outputs,omitempty"`
}

// configData is the Data key of a config resource's document.
const configData = "config"

// softwareConfigBase implements the software config types: immutable
// documents kept with the resource; any change replaces them.
type softwareConfigBase struct {
	schema func() *hot.Schema
	render func(r *resources.Resource) (any, error)
}

// Schema implements resources.Plugin.
func (c softwareConfigBase) Schema() *hot.Schema { return c.schema() }

// Create implements resources.Plugin.
func (c softwareConfigBase) Create(_ context.Context, r *resources.Resource) (string, error) {
	cfg, err := c.render(r)
	if err != nil {
		return "", err
	}
	group := r.Prop("group")
	if group == "" {
		group = "Heat::Ungrouped"
	}
	doc := configDoc{Group: group, Config: cfg, Options: r.Properties["options"],
		Inputs: r.Properties["inputs"], Outputs: r.Properties["outputs"]}
	r.SetData(configData, mustJSON(doc))
	return r.PhysicalID, nil
}

// Update implements resources.Plugin; configs are replaced, never updated.
func (c softwareConfigBase) Update(ctx context.Context, r, _ *resources.Resource) error {
	_, err := c.Create(ctx, r)
	return err
}

// Delete implements resources.Plugin.
func (softwareConfigBase) Delete(context.Context, *resources.Resource) error { return nil }

// Check implements resources.Plugin.
func (c softwareConfigBase) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	if r.Data[configData] == "" {
		if _, err := c.Create(ctx, r); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Attributes implements resources.Plugin: config.
func (softwareConfigBase) Attributes(_ context.Context, r *resources.Resource) (map[string]any, error) {
	var doc configDoc
	if err := json.Unmarshal([]byte(r.Data[configData]), &doc); err != nil {
		return nil, fmt.Errorf("read config of %s: %w", r.Name, err)
	}
	return map[string]any{"config": doc.Config}, nil
}

// SoftwareConfig returns the OS::Heat::SoftwareConfig plugin: a script or
// document for a deployment to run.
func SoftwareConfig() resources.Plugin {
	return softwareConfigBase{schema: softwareConfigSchema, render: func(r *resources.Resource) (any, error) {
		return r.Prop("config"), nil
	}}
}

// StructuredConfig returns the OS::Heat::StructuredConfig plugin: a config
// that is a structure rather than a string.
func StructuredConfig() resources.Plugin {
	return softwareConfigBase{schema: structuredConfigSchema, render: func(r *resources.Resource) (any, error) {
		return r.Properties["config"], nil
	}}
}

// CloudConfig returns the OS::Heat::CloudConfig plugin: a cloud-init
// #cloud-config document.
func CloudConfig() resources.Plugin {
	return softwareConfigBase{schema: cloudConfigSchema, render: func(r *resources.Resource) (any, error) {
		body, err := yaml.Marshal(r.Properties["cloud_config"])
		if err != nil {
			return nil, fmt.Errorf("render cloud_config: %w", err)
		}
		if r.Properties["cloud_config"] == nil {
			body = []byte("{}\n")
		}
		return "#cloud-config\n" + string(body), nil
	}}
}

// MultipartMime returns the OS::Heat::MultipartMime plugin: configs (by
// id) or raw strings combined into one multipart MIME message, for
// cloud-init user_data.
func MultipartMime() resources.Plugin { return &multipartMime{} }

// multipartMime renders with the context of each call, since it reads the
// configs its parts name.
type multipartMime struct{}

func (m *multipartMime) with(ctx context.Context) softwareConfigBase {
	return softwareConfigBase{schema: multipartSchema, render: func(r *resources.Resource) (any, error) {
		return renderMultipart(ctx, r)
	}}
}

// Schema implements resources.Plugin.
func (m *multipartMime) Schema() *hot.Schema { return multipartSchema() }

// Create implements resources.Plugin.
func (m *multipartMime) Create(ctx context.Context, r *resources.Resource) (string, error) {
	return m.with(ctx).Create(ctx, r)
}

// Update implements resources.Plugin.
func (m *multipartMime) Update(ctx context.Context, r, old *resources.Resource) error {
	return m.with(ctx).Update(ctx, r, old)
}

// Delete implements resources.Plugin.
func (m *multipartMime) Delete(context.Context, *resources.Resource) error { return nil }

// Check implements resources.Plugin.
func (m *multipartMime) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	return m.with(ctx).Check(ctx, r)
}

// Attributes implements resources.Plugin.
func (m *multipartMime) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	return m.with(ctx).Attributes(ctx, r)
}

// renderMultipart builds the MIME message of a MultipartMime resource. A
// part whose config names a config resource takes that config's text.
func renderMultipart(ctx context.Context, r *resources.Resource) (string, error) {
	parts, _ := r.Properties["parts"].([]any)
	type part struct{ body, filename, ctype string }
	var rendered []part
	h := sha256.New()
	for _, p := range parts {
		pm, _ := p.(map[string]any)
		cfg, _ := pm["config"].(string)
		body := cfg
		if cfg != "" {
			rec, err := r.Host.Lookup(ctx, r.Stack.ProjectID, cfg)
			switch {
			case err == nil:
				var doc configDoc
				if json.Unmarshal([]byte(rec.Data[configData]), &doc) == nil {
					if s, ok := doc.Config.(string); ok {
						body = s
					} else {
						body = mustJSON(doc.Config)
					}
				}
			case !errors.Is(err, model.ErrNotFound):
				return "", err
			}
		}
		typ, _ := pm["type"].(string)
		subtype, _ := pm["subtype"].(string)
		filename, _ := pm["filename"].(string)
		ctype := "text/" + defaultStr(subtype, "x-shellscript")
		if typ == "multipart" {
			ctype = "multipart/" + defaultStr(subtype, "mixed")
		} else if subtype == "" && strings.HasPrefix(body, "#cloud-config") {
			ctype = "text/cloud-config"
		}
		rendered = append(rendered, part{body: body, filename: filename, ctype: ctype})
		h.Write([]byte(body))
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	// A boundary derived from the content keeps the message stable.
	if err := w.SetBoundary("===============" + hex.EncodeToString(h.Sum(nil))[:20] + "=="); err != nil {
		return "", fmt.Errorf("render multipart: %w", err)
	}
	fmt.Fprintf(&buf, "Content-Type: multipart/mixed; boundary=\"%s\"\nMIME-Version: 1.0\n\n", w.Boundary())
	for _, p := range rendered {
		hdr := textproto.MIMEHeader{}
		hdr.Set("Content-Type", p.ctype+"; charset=\"us-ascii\"")
		hdr.Set("MIME-Version", "1.0")
		hdr.Set("Content-Transfer-Encoding", "7bit")
		if p.filename != "" {
			hdr.Set("Content-Disposition", "attachment; filename=\""+p.filename+"\"")
		}
		pw, err := w.CreatePart(hdr)
		if err != nil {
			return "", fmt.Errorf("render multipart: %w", err)
		}
		if _, err := pw.Write([]byte(p.body)); err != nil {
			return "", fmt.Errorf("render multipart: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("render multipart: %w", err)
	}
	return buf.String(), nil
}

func defaultStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
