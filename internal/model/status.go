package model

import "strings"

// Status is the lifecycle state of a cluster or nodegroup, as Magnum names it.
type Status string

// All the statuses Magnum defines.
const (
	CreateInProgress   Status = "CREATE_IN_PROGRESS"
	CreateFailed       Status = "CREATE_FAILED"
	CreateComplete     Status = "CREATE_COMPLETE"
	UpdateInProgress   Status = "UPDATE_IN_PROGRESS"
	UpdateFailed       Status = "UPDATE_FAILED"
	UpdateComplete     Status = "UPDATE_COMPLETE"
	DeleteInProgress   Status = "DELETE_IN_PROGRESS"
	DeleteFailed       Status = "DELETE_FAILED"
	DeleteComplete     Status = "DELETE_COMPLETE"
	ResumeComplete     Status = "RESUME_COMPLETE"
	ResumeFailed       Status = "RESUME_FAILED"
	RestoreComplete    Status = "RESTORE_COMPLETE"
	RollbackInProgress Status = "ROLLBACK_IN_PROGRESS"
	RollbackFailed     Status = "ROLLBACK_FAILED"
	RollbackComplete   Status = "ROLLBACK_COMPLETE"
	SnapshotComplete   Status = "SNAPSHOT_COMPLETE"
	CheckComplete      Status = "CHECK_COMPLETE"
	AdoptComplete      Status = "ADOPT_COMPLETE"
)

// Stable reports whether update, upgrade and CA rotation are accepted in s.
func (s Status) Stable() bool {
	switch s {
	case CreateComplete, UpdateComplete, ResumeComplete, RestoreComplete,
		RollbackComplete, SnapshotComplete, CheckComplete, AdoptComplete:
		return true
	}
	return false
}

// ResizeAllowed reports whether a resize is accepted in s.
func (s Status) ResizeAllowed() bool {
	return s.Stable() || s == UpdateInProgress || s == UpdateFailed
}

// Failed reports whether s is one of the failure states.
func (s Status) Failed() bool {
	switch s {
	case CreateFailed, UpdateFailed, DeleteFailed, RollbackFailed, ResumeFailed:
		return true
	}
	return false
}

// InProgress reports whether an operation is under way in s.
func (s Status) InProgress() bool { return strings.HasSuffix(string(s), "_IN_PROGRESS") }

// Operation is the kind of change the conductor carries out.
type Operation string

// The operations on clusters and nodegroups.
const (
	OpCreate  Operation = "create"
	OpUpdate  Operation = "update"
	OpDelete  Operation = "delete"
	OpResize  Operation = "resize"
	OpUpgrade Operation = "upgrade"
)

// InProgressStatus returns the status an operation shows while it runs.
func (o Operation) InProgressStatus() Status {
	switch o {
	case OpCreate:
		return CreateInProgress
	case OpDelete:
		return DeleteInProgress
	}
	return UpdateInProgress
}

// CompleteStatus returns the status an operation leaves on success.
func (o Operation) CompleteStatus() Status {
	switch o {
	case OpCreate:
		return CreateComplete
	case OpDelete:
		return DeleteComplete
	}
	return UpdateComplete
}

// FailedStatus returns the status an operation leaves on failure.
func (o Operation) FailedStatus() Status {
	switch o {
	case OpCreate:
		return CreateFailed
	case OpDelete:
		return DeleteFailed
	}
	return UpdateFailed
}

// HealthStatus is a cluster's health as the monitor sees it.
type HealthStatus string

// The health statuses.
const (
	HealthHealthy   HealthStatus = "HEALTHY"
	HealthUnhealthy HealthStatus = "UNHEALTHY"
	HealthUnknown   HealthStatus = "UNKNOWN"
)
