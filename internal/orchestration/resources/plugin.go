package resources

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
)

// Plugin implements one resource type. It is larger than the one-method
// interfaces used elsewhere because it is a contract that providers
// implement in full: every type must be created, updated, deleted, found
// again after a crash and asked for its attributes, and must describe its
// properties so that templates validate before anything runs.
//
// The engine calls a plugin for one resource at a time; calls for different
// resources run concurrently.
type Plugin interface {
	// Schema describes the type's properties and attributes; nil accepts
	// any property and attribute.
	Schema() *hot.Schema
	// Create makes the resource and returns its physical id. r.PhysicalID
	// holds the id the engine reserved and persisted before the call; a
	// plugin that can name what it creates uses it, so that Check finds
	// the resource again after a crash.
	Create(ctx context.Context, r *Resource) (string, error)
	// Update changes the resource in place from old to r. It is called only
	// for changes the schema (or an UpdateDecider) allows in place, and
	// again with the same arguments after a crash, so it must be
	// idempotent.
	Update(ctx context.Context, r, old *Resource) error
	// Delete removes the resource. A resource that is already gone is a
	// success.
	Delete(ctx context.Context, r *Resource) error
	// Check reports whether the resource r.PhysicalID names exists. The
	// engine calls it when it resumes a create that a crash interrupted:
	// when the resource exists it is adopted (Check may then set
	// r.PhysicalID to the id found), otherwise Create runs again. Check
	// returns once the resource is as usable as Create would leave it.
	Check(ctx context.Context, r *Resource) (bool, error)
	// Attributes returns the values get_attr reads, after a create or an
	// update. The engine stores them.
	Attributes(ctx context.Context, r *Resource) (map[string]any, error)
}

// Resource is what a plugin is given: one resource of one stack, with its
// properties resolved.
type Resource struct {
	Stack      StackInfo
	Name       string
	Type       string
	PhysicalID string
	// Properties are the resolved properties, with the schema's defaults
	// filled in.
	Properties map[string]any
	Metadata   any
	// Data is the plugin's own memory of the resource: what it sets here is
	// stored with the resource and handed back on later calls.
	Data map[string]string
	// Attributes are the attributes stored after the last create or update.
	Attributes map[string]any
	// NestedID is the stack implementing the resource, for types that own
	// one.
	NestedID string
	// UpdatePolicy is the template's update_policy, resolved.
	UpdatePolicy any
	// Host is the engine running the call.
	Host Host
}

// StackInfo identifies the stack a resource belongs to.
type StackInfo struct {
	ID        string
	Name      string
	ProjectID string
	UserID    string
	// RootID is the top-level stack (the stack itself when top-level).
	RootID string
	// Environment and Files are the stack's, handed down to nested stacks.
	Environment string
	Files       map[string]string
}

// Prop returns property name as a string, or "" when unset.
func (r *Resource) Prop(name string) string {
	switch v := r.Properties[name].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// SetData records a value in r.Data.
func (r *Resource) SetData(key, value string) {
	if r.Data == nil {
		r.Data = map[string]string{}
	}
	r.Data[key] = value
}

// Host is what a plugin may ask of the engine that runs it.
type Host interface {
	// SignalURL returns the URL of the API route that signals r.
	SignalURL(r *Resource) string
	// Signals returns the signals stored for the resource of the stack
	// whose physical id is physicalID, oldest first.
	Signals(ctx context.Context, stackID, physicalID string) ([]Signal, error)
	// Wait calls check until it reports done or fails: again whenever a
	// signal arrives for the stack and at least every poll interval. The
	// caller gives up its concurrency slot while it waits.
	Wait(ctx context.Context, check func(ctx context.Context) (bool, error)) error
	// ApplyNested creates or updates the stack that implements r (r.NestedID,
	// or the reserved r.PhysicalID for a new one) and converges it. It
	// returns the nested stack's id and outputs, or the reason it failed.
	ApplyNested(ctx context.Context, r *Resource, def NestedStack) (*NestedResult, error)
	// DeleteNested deletes the stack that implements r, if any.
	DeleteNested(ctx context.Context, r *Resource) error
	// NestedResources returns the resources of a nested stack.
	NestedResources(ctx context.Context, stackID string) ([]*model.StackResource, error)
	// Lookup returns the stored resource whose physical id is physicalID,
	// in any stack of the same project.
	Lookup(ctx context.Context, projectID, physicalID string) (*model.StackResource, error)
	// Refresh asks for the resource name of stack stackID to be updated
	// even though its properties did not change (a scaling signal), and
	// starts an update of the stack's top-level stack. A non-nil body is
	// stored as a signal of that resource first, for its plugin to read.
	Refresh(ctx context.Context, stackID, name string, body json.RawMessage) error
	// Now returns the current time.
	Now() time.Time
}

// NestedStack defines the stack that implements a resource. It inherits
// the parent stack's parameter_defaults and resource registry.
type NestedStack struct {
	Template   string
	Files      map[string]string
	Parameters map[string]string
}

// NestedResult is a converged nested stack.
type NestedResult struct {
	StackID   string
	StackName string
	Outputs   map[string]any
}

// Signal is one signal a resource received.
type Signal struct {
	Body json.RawMessage
	Time time.Time
}

// Signaler is a plugin whose resources accept signals (wait condition
// handles, scaling policies, deployments).
type Signaler interface {
	// HandleSignal checks a signal's body and acts on it. It returns what to
	// store as the signal (nil stores nothing); a bad signal is an error
	// wrapping model.ErrInvalid.
	HandleSignal(ctx context.Context, r *Resource, body []byte) (json.RawMessage, error)
}

// UpdateMode says how a type takes a change of its properties.
type UpdateMode int

// The update modes.
const (
	// UpdateBySchema updates in place when every changed property is
	// update_allowed in the schema, and replaces otherwise.
	UpdateBySchema UpdateMode = iota
	// UpdateNever ignores property changes (OS::Heat::None).
	UpdateNever
	// UpdateReplace replaces the resource on any change.
	UpdateReplace
)

// UpdateDecider is a plugin that decides per resource how changes apply.
type UpdateDecider interface {
	UpdateMode(r *Resource) UpdateMode
}

// AttributeResolver is a plugin whose get_attr paths need more than a
// lookup in the stored attributes (groups: "resource.0", "attributes").
type AttributeResolver interface {
	ResolveAttribute(attrs map[string]any, path []any) (any, error)
}

// Referencer is a plugin whose get_resource value is not the physical id
// (OS::Heat::RandomString answers its value).
type Referencer interface {
	ReferenceID(physicalID string, attrs map[string]any) string
}

// Internal is a plugin whose resources exist only in the engine's own
// records (OS::Heat::*: values, configs, handles, nested stacks, whose
// writes go through the engine). Creating one again after a crash has no
// effect outside the store, so the engine does not wait for the
// reservation to be committed before calling Create; infrastructure types
// must not implement it.
type Internal interface {
	Internal()
}

// SignalTokenKey is the Data key under which a resource keeps the secret
// that lets a caller without credentials signal it (a wait-condition
// handle's token, a deployment's). The API checks it with the engine's
// CheckSignalToken.
const SignalTokenKey = "signal_token"

// ErrNotImplemented marks a type the registry has a schema for but no
// implementation of.
var ErrNotImplemented = errors.New("resource type not implemented")
