// Package driver defines the contract between the conductor and a container
// orchestration engine (COE) driver, such as Kubernetes.
package driver
