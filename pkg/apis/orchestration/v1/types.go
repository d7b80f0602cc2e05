package v1

import "encoding/json"

// TimeFormat is how Heat writes times: UTC, seconds, no offset.
const TimeFormat = "2006-01-02T15:04:05Z"

// Link is a hypermedia link.
type Link struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
}

// StackCreate is the body of stack create, update and preview, as
// python-heatclient sends it: the template and environment as objects, or
// the template as a string.
type StackCreate struct {
	StackName        string                     `json:"stack_name,omitempty"`
	Template         json.RawMessage            `json:"template,omitempty"`
	TemplateURL      string                     `json:"template_url,omitempty"`
	Files            map[string]json.RawMessage `json:"files,omitempty"`
	Environment      json.RawMessage            `json:"environment,omitempty"`
	EnvironmentFiles []string                   `json:"environment_files,omitempty"`
	Parameters       map[string]json.RawMessage `json:"parameters,omitempty"`
	TimeoutMins      *int                       `json:"timeout_mins,omitempty"`
	DisableRollback  *bool                      `json:"disable_rollback,omitempty"`
	Tags             json.RawMessage            `json:"tags,omitempty"`
	Existing         bool                       `json:"existing,omitempty"`
	ClearParameters  []string                   `json:"clear_parameters,omitempty"`
}

// StackRef identifies a created stack.
type StackRef struct {
	ID    string `json:"id"`
	Links []Link `json:"links"`
}

// Output is one stack output.
type Output struct {
	OutputKey   string `json:"output_key"`
	OutputValue any    `json:"output_value,omitempty"`
	Description string `json:"description,omitempty"`
	OutputError string `json:"output_error,omitempty"`
}

// Stack is a stack as stack list and stack show return it.
type Stack struct {
	ID                  string            `json:"id"`
	StackName           string            `json:"stack_name"`
	Description         string            `json:"description"`
	StackStatus         string            `json:"stack_status"`
	StackStatusReason   string            `json:"stack_status_reason"`
	CreationTime        string            `json:"creation_time"`
	UpdatedTime         *string           `json:"updated_time"`
	DeletionTime        *string           `json:"deletion_time"`
	Links               []Link            `json:"links"`
	Project             string            `json:"project"`
	StackOwner          *string           `json:"stack_owner"`
	StackUserProjectID  string            `json:"stack_user_project_id"`
	Parent              *string           `json:"parent"`
	Tags                []string          `json:"tags"`
	Parameters          map[string]string `json:"parameters,omitempty"`
	Outputs             []Output          `json:"outputs,omitempty"`
	TemplateDescription string            `json:"template_description,omitempty"`
	TimeoutMins         *int              `json:"timeout_mins,omitempty"`
	DisableRollback     *bool             `json:"disable_rollback,omitempty"`
	Capabilities        []any             `json:"capabilities,omitempty"`
	NotificationTopics  []any             `json:"notification_topics,omitempty"`
}

// Resource is a stack resource.
type Resource struct {
	ResourceName         string         `json:"resource_name"`
	LogicalResourceID    string         `json:"logical_resource_id"`
	PhysicalResourceID   string         `json:"physical_resource_id"`
	ResourceType         string         `json:"resource_type"`
	ResourceStatus       string         `json:"resource_status"`
	ResourceStatusReason string         `json:"resource_status_reason"`
	CreationTime         string         `json:"creation_time"`
	UpdatedTime          string         `json:"updated_time"`
	RequiredBy           []string       `json:"required_by"`
	Links                []Link         `json:"links"`
	ParentResource       string         `json:"parent_resource,omitempty"`
	StackName            string         `json:"stack_name,omitempty"`
	Attributes           map[string]any `json:"attributes,omitempty"`
	Description          string         `json:"description,omitempty"`
	Metadata             any            `json:"metadata,omitempty"`
}

// Event is one stack event.
type Event struct {
	ID                   string `json:"id"`
	EventTime            string `json:"event_time"`
	ResourceName         string `json:"resource_name"`
	LogicalResourceID    string `json:"logical_resource_id"`
	PhysicalResourceID   string `json:"physical_resource_id"`
	ResourceStatus       string `json:"resource_status"`
	ResourceStatusReason string `json:"resource_status_reason"`
	Links                []Link `json:"links"`
}

// ErrorBody is Heat's error response.
type ErrorBody struct {
	Code        int         `json:"code"`
	Title       string      `json:"title"`
	Explanation string      `json:"explanation"`
	Error       ErrorDetail `json:"error"`
}

// ErrorDetail is the inner error of ErrorBody.
type ErrorDetail struct {
	Message   string  `json:"message"`
	Type      string  `json:"type"`
	Traceback *string `json:"traceback"`
}
