package provider

import (
	"context"
	"time"
)

// Server is what a provider reports of a server now, as opposed to what
// the stack recorded when it created it.
type Server struct {
	ID   string
	Name string
	// Status is Nova's: BUILD, ACTIVE, ERROR, SHUTOFF or DELETING.
	Status string
	// Reason says why a server is in ERROR or SHUTOFF, and when an ACTIVE
	// server was booted again after it had stopped.
	Reason    string
	VCPUs     int
	MemoryMiB int
	// Boots counts the server's boots: 1 after its create.
	Boots   int
	Created time.Time
	// Addresses are the server's fixed and floating addresses by network
	// name.
	Addresses map[string][]string
}

// Servers reads what a provider knows of its servers now. Errors for an
// unknown server wrap model.ErrNotFound.
type Servers interface {
	// Server returns a server's live state.
	Server(ctx context.Context, id string) (*Server, error)
	// ConsoleLog returns the last lines of a server's console output, all
	// of it for lines <= 0.
	ConsoleLog(ctx context.Context, id string, lines int) (string, error)
	// Reboot stops a running server's processes and boots it again, as
	// Nova's soft reboot does: its disk stays, and it reads its user_data
	// (and what that includes) afresh.
	Reboot(ctx context.Context, id string) error
}
