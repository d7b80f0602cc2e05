package model

import (
	"encoding/json"
	"time"
)

// The kinds of stored orchestration objects.
const (
	KindStack         Kind = "stack"
	KindStackResource Kind = "stack_resource"
	KindStackEvent    Kind = "stack_event"
	KindStackSignal   Kind = "stack_signal"
)

// StackAction is the operation a stack or one of its resources is under, as
// Heat names it.
type StackAction string

// The actions Heat defines.
const (
	ActionInit     StackAction = "INIT"
	ActionCreate   StackAction = "CREATE"
	ActionUpdate   StackAction = "UPDATE"
	ActionDelete   StackAction = "DELETE"
	ActionRollback StackAction = "ROLLBACK"
	ActionSuspend  StackAction = "SUSPEND"
	ActionResume   StackAction = "RESUME"
	ActionCheck    StackAction = "CHECK"
	ActionAdopt    StackAction = "ADOPT"
	ActionSnapshot StackAction = "SNAPSHOT"
	// ActionSignal marks the events of signals received.
	ActionSignal StackAction = "SIGNAL"
)

// StackState is how far an action has got.
type StackState string

// The states Heat defines.
const (
	StateInProgress StackState = "IN_PROGRESS"
	StateComplete   StackState = "COMPLETE"
	StateFailed     StackState = "FAILED"
)

// StackDefinition is what a stack is asked to be: its template and
// everything the template is evaluated with.
type StackDefinition struct {
	// Template is the template body exactly as given (YAML or JSON).
	Template string `json:"template"`
	// Files are the files the template may name (get_file, nested
	// templates), by the name the template uses.
	Files map[string]string `json:"files,omitempty"`
	// Environment is the environment body (YAML or JSON); when several were
	// given the caller merged them into one.
	Environment string `json:"environment,omitempty"`
	// Parameters are the parameter values the user gave, unresolved.
	Parameters map[string]string `json:"parameters,omitempty"`
}

// Equal reports whether d and o define the same stack.
func (d *StackDefinition) Equal(o *StackDefinition) bool {
	if d == nil || o == nil {
		return d == o
	}
	return d.Template == o.Template && d.Environment == o.Environment &&
		equalStrings(d.Files, o.Files) && equalStrings(d.Parameters, o.Parameters)
}

func equalStrings(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// StackOutput is one evaluated output of a stack.
type StackOutput struct {
	Key         string `json:"output_key"`
	Value       any    `json:"output_value"`
	Description string `json:"description,omitempty"`
	// Error says why the output could not be evaluated; Value is then nil.
	Error string `json:"output_error,omitempty"`
}

// Stack is a set of resources described by one HOT template, Heat's
// "stack". Nested stacks (template resources, group members,
// OS::Heat::Stack) are stacks too, with a parent.
type Stack struct {
	Meta      `json:"-"`
	Name      string `json:"name"`
	ProjectID string `json:"project_id"`
	UserID    string `json:"user_id"`
	StackDefinition
	Action       StackAction   `json:"action"`
	Status       StackState    `json:"status"`
	StatusReason string        `json:"status_reason,omitempty"`
	Outputs      []StackOutput `json:"outputs,omitempty"`
	// TimeoutMins bounds every operation on the stack; 0 means the engine's
	// default.
	TimeoutMins     int  `json:"timeout_mins,omitempty"`
	DisableRollback bool `json:"disable_rollback"`
	// ParentID is the stack a nested stack belongs to, and ParentResource
	// the name of the resource in it that owns this stack.
	ParentID       string `json:"parent_id,omitempty"`
	ParentResource string `json:"parent_resource,omitempty"`
	// RootID is the top-level stack of a nested stack; empty on a
	// top-level stack.
	RootID string   `json:"root_id,omitempty"`
	Tags   []string `json:"tags,omitempty"`
	// Description is the template's description, for listings.
	Description string `json:"description,omitempty"`

	// Previous is the definition the stack had before the update in
	// progress: what a cancel or a rollback returns to.
	Previous *StackDefinition `json:"previous,omitempty"`
	// RollbackDeletes says the rollback in progress undoes a create, so it
	// deletes every resource.
	RollbackDeletes bool `json:"rollback_deletes,omitempty"`
	// StartedAt is when the operation in progress began; the stack timeout
	// counts from it.
	StartedAt *time.Time `json:"started_at,omitempty"`
}

// Kind implements Object.
func (*Stack) Kind() Kind { return KindStack }

// Index implements Object. Stacks are found by name within a project, and
// nested stacks by their parent and root.
func (s *Stack) Index() Index {
	return Index{Name: s.Name, ProjectID: s.ProjectID, Parent: s.ParentID, Ref: s.RootID}
}

// StackStatus returns Heat's combined status, such as CREATE_COMPLETE.
func (s *Stack) StackStatus() string { return string(s.Action) + "_" + string(s.Status) }

// InProgress reports whether an operation is under way on the stack.
func (s *Stack) InProgress() bool { return s.Status == StateInProgress }

// Deleted reports whether the stack is gone but for its record.
func (s *Stack) Deleted() bool { return s.Action == ActionDelete && s.Status == StateComplete }

// Root returns the UUID of the top-level stack s belongs to.
func (s *Stack) Root() string {
	if s.RootID != "" {
		return s.RootID
	}
	return s.UUID
}

// ReplacedResource is a physical resource that a replacement superseded and
// that the engine deletes once the update that replaced it is done.
type ReplacedResource struct {
	PhysicalID string            `json:"physical_resource_id"`
	Type       string            `json:"type"`
	Properties map[string]any    `json:"properties,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
	Nested     string            `json:"nested_stack_id,omitempty"`
}

// StackResource is one resource of a stack, as the engine last recorded it.
type StackResource struct {
	Meta      `json:"-"`
	StackID   string `json:"stack_id"`
	ProjectID string `json:"project_id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	// Implementation is what implements Type once the environment's
	// resource_registry applied: a plugin type or a template file name.
	Implementation string `json:"implementation,omitempty"`
	PhysicalID     string `json:"physical_resource_id,omitempty"`
	// Reserved marks a physical id the engine chose before calling the
	// plugin's Create: the resource may or may not exist under it.
	Reserved     bool        `json:"reserved,omitempty"`
	Action       StackAction `json:"action"`
	Status       StackState  `json:"status"`
	StatusReason string      `json:"status_reason,omitempty"`
	// PropertiesHash digests the resolved properties the resource was last
	// created or updated with, and PropertyHashes each property's value.
	PropertiesHash string            `json:"properties_hash,omitempty"`
	PropertyHashes map[string]string `json:"property_hashes,omitempty"`
	Properties     map[string]any    `json:"properties,omitempty"`
	Metadata       any               `json:"metadata,omitempty"`
	Attributes     map[string]any    `json:"attributes,omitempty"`
	DependsOn      []string          `json:"depends_on,omitempty"`
	RequiredBy     []string          `json:"required_by,omitempty"`
	DeletionPolicy string            `json:"deletion_policy,omitempty"`
	// Data is what the plugin keeps about the resource between calls.
	Data map[string]string `json:"data,omitempty"`
	// NestedID is the stack that implements a template resource, a group
	// or OS::Heat::Stack.
	NestedID string `json:"nested_stack_id,omitempty"`
	// Replaced lists physical resources this one replaced that are still to
	// be deleted.
	Replaced []ReplacedResource `json:"replaced,omitempty"`
	// Description comes from the type, for listings.
	Description string `json:"description,omitempty"`
}

// Kind implements Object.
func (*StackResource) Kind() Kind { return KindStackResource }

// Index implements Object. Resources are found by stack, by name within the
// stack and by physical id.
func (r *StackResource) Index() Index {
	return Index{Name: r.Name, ProjectID: r.ProjectID, Parent: r.StackID, Ref: r.PhysicalID}
}

// ResourceStatus returns Heat's combined status, such as CREATE_COMPLETE.
func (r *StackResource) ResourceStatus() string { return string(r.Action) + "_" + string(r.Status) }

// StackEvent records one transition of a stack or of one of its resources.
// Events of a stack list in creation (row id) order.
type StackEvent struct {
	Meta      `json:"-"`
	StackID   string `json:"stack_id"`
	ProjectID string `json:"project_id"`
	// ResourceName is the resource's name, or the stack's for a stack
	// transition.
	ResourceName string      `json:"resource_name"`
	ResourceType string      `json:"resource_type,omitempty"`
	PhysicalID   string      `json:"physical_resource_id,omitempty"`
	Action       StackAction `json:"resource_action"`
	Status       StackState  `json:"resource_status"`
	Reason       string      `json:"resource_status_reason,omitempty"`
	Time         time.Time   `json:"event_time"`
}

// Kind implements Object.
func (*StackEvent) Kind() Kind { return KindStackEvent }

// Index implements Object. Events are found by stack and by resource name.
func (e *StackEvent) Index() Index {
	return Index{Name: e.ResourceName, ProjectID: e.ProjectID, Parent: e.StackID}
}

// StackSignal is a signal sent to a resource: a wait-condition handle's
// success or failure, a scaling policy's alarm, a deployment's result. It is
// stored apart from the resource so that signals never race the engine's
// writes of it.
type StackSignal struct {
	Meta `json:"-"`
	// ResourceID is the UUID of the StackResource record signalled.
	ResourceID string `json:"resource_id"`
	StackID    string `json:"stack_id"`
	// Purpose tells signals meant for the plugin (empty) from the engine's
	// own refresh marks.
	Purpose string          `json:"purpose,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
	Time    time.Time       `json:"time"`
}

// Kind implements Object.
func (*StackSignal) Kind() Kind { return KindStackSignal }

// Index implements Object. Signals are found by the resource signalled.
func (s *StackSignal) Index() Index {
	return Index{Name: s.Purpose, Parent: s.ResourceID, Ref: s.StackID}
}
