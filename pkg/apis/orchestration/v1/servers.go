package v1

// The server routes are Slipway's own, beside Heat's: they show what the
// infrastructure provider knows of a server a stack made now, and its
// console output, as `openstack server show` and `openstack console log
// show` would on OpenStack.
//
//	GET /v1/{project_id}/servers/{server_id}
//	GET /v1/{project_id}/servers/{server_id}/log?lines=N

// Server is a server's live state.
type Server struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Status is Nova's: BUILD, ACTIVE, ERROR, SHUTOFF or DELETING.
	Status string `json:"status"`
	// StatusReason says why a server is in ERROR or SHUTOFF, and when an
	// ACTIVE server was booted again.
	StatusReason string              `json:"status_reason,omitempty"`
	VCPUs        int                 `json:"vcpus"`
	RAM          int                 `json:"ram"`
	Boots        int                 `json:"boots"`
	Created      string              `json:"created"`
	Addresses    map[string][]string `json:"addresses"`
	// StackID and ResourceName say which resource of which stack the
	// server is.
	StackID      string `json:"stack_id"`
	ResourceName string `json:"resource_name"`
}

// ServerBody is the body of GET /v1/{project_id}/servers/{server_id}.
type ServerBody struct {
	Server Server `json:"server"`
}

// ConsoleOutput is the body of GET /v1/{project_id}/servers/{server_id}/log,
// as Nova's os-getConsoleOutput answers.
type ConsoleOutput struct {
	Output string `json:"output"`
}
