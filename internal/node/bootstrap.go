package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// BootstrapVersion is the bootstrap document version this agent runs.
const BootstrapVersion = "v1"

// Bootstrap is Slipway's bootstrap document: what scripts do badly. It is
// YAML or JSON with `slipway_bootstrap: v1`:
//
//	slipway_bootstrap: v1
//	hostname: node-1                # optional
//	write_files: [...]              # as in cloud-config
//	commands:                       # run in order at every boot, before services
//	  - {name: prepare, shell: "mkdir -p /var/lib/etcd"}
//	services:
//	  - name: etcd
//	    command: /opt/bin/etcd
//	    args: [--data-dir, /var/lib/etcd]
//	    env: {ETCD_NAME: node-1}
//	    after: []                   # services that must be ready first
//	    restart: {policy: always, backoff: 200ms, max_backoff: 30s, reset_after: 1m}
//	    readiness: {http: "http://127.0.0.1:2381/health", period: 1s, timeout: 2s}
//	    logs: {max_size_mib: 10, keep: 1}
//	signal:                         # told once every service is ready, or one failed
//	  url: https://…/signal
//	  headers: {X-Auth-Token: …}
//	deployments:                    # Heat software deployments to poll for
//	  metadata_url: https://…/metadata
//	  interval: 10s
//	include:                        # the rest of the document, fetched at boot
//	  url: https://…/bootstrap/v1/TOKEN
type Bootstrap struct {
	Version     string             `json:"slipway_bootstrap"`
	Hostname    string             `json:"hostname,omitempty"`
	WriteFiles  []WriteFile        `json:"write_files,omitempty"`
	Commands    []BootstrapCommand `json:"commands,omitempty"`
	Services    []Service          `json:"services,omitempty"`
	Signal      *Endpoint          `json:"signal,omitempty"`
	Deployments *DeploymentSource  `json:"deployments,omitempty"`
	// Include is where the rest of the document is: fetched (GET) at every
	// boot, retried until it answers, and merged under this one (its
	// files, commands and services come first; this document's hostname
	// and signal win). It keeps what the document carries, such as keys,
	// out of the user_data the orchestration engine stores.
	Include *Endpoint `json:"include,omitempty"`
}

// BootstrapCommand runs once per boot and must succeed.
type BootstrapCommand struct {
	Name string `json:"name,omitempty"`
	// Run is an argument vector; Shell a /bin/sh -c script. One is set.
	Run     []string          `json:"run,omitempty"`
	Shell   string            `json:"shell,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	Timeout Duration          `json:"timeout,omitempty"`
}

// Service is a long-running process the agent supervises.
type Service struct {
	Name       string            `json:"name"`
	Command    string            `json:"command"`
	Args       []string          `json:"args,omitempty"`
	Env        map[string]string `json:"env,omitempty"`
	WorkingDir string            `json:"working_dir,omitempty"`
	// After names services that must be ready before this one starts.
	After     []string      `json:"after,omitempty"`
	Restart   RestartPolicy `json:"restart,omitempty"`
	Readiness *Probe        `json:"readiness,omitempty"`
	Logs      LogPolicy     `json:"logs,omitempty"`
}

// Restart policies.
const (
	RestartAlways    = "always"
	RestartOnFailure = "on-failure"
	RestartNever     = "never"
)

// RestartPolicy says when a service that exited starts again, and how long
// the agent waits before it does. The wait doubles from Backoff up to
// MaxBackoff, and goes back to Backoff once the service ran for ResetAfter.
type RestartPolicy struct {
	// Policy is always (the default), on-failure or never.
	Policy     string   `json:"policy,omitempty"`
	Backoff    Duration `json:"backoff,omitempty"`
	MaxBackoff Duration `json:"max_backoff,omitempty"`
	ResetAfter Duration `json:"reset_after,omitempty"`
	// MaxRestarts bounds restarts; 0 is unbounded. Past it the service is
	// failed.
	MaxRestarts int `json:"max_restarts,omitempty"`
}

// Probe checks that a service is ready. Exactly one of Exec, HTTP and TCP
// is set.
type Probe struct {
	// Exec runs a command; exit status 0 is ready.
	Exec []string `json:"exec,omitempty"`
	// HTTP is a URL; a 2xx or 3xx answer is ready. https URLs are not
	// verified (the probe asks "is it up", not "is it who I think").
	HTTP string `json:"http,omitempty"`
	// TCP is host:port; an accepted connection is ready.
	TCP          string   `json:"tcp,omitempty"`
	Period       Duration `json:"period,omitempty"`
	Timeout      Duration `json:"timeout,omitempty"`
	InitialDelay Duration `json:"initial_delay,omitempty"`
}

// LogPolicy bounds a service's log file under /var/log/slipway.
type LogPolicy struct {
	// MaxSizeMiB rotates the log past this size; 10 by default.
	MaxSizeMiB int `json:"max_size_mib,omitempty"`
	// Keep is the number of rotated files kept; 1 by default.
	Keep int `json:"keep,omitempty"`
}

// Endpoint is an HTTP endpoint the agent reports to, such as a Heat wait
// condition's signal URL.
type Endpoint struct {
	URL     string            `json:"url"`
	Method  string            `json:"method,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// CACert is a PEM bundle that verifies the endpoint; the system's pool
	// otherwise.
	CACert string `json:"ca_cert,omitempty"`
}

// DeploymentSource is where the agent polls for software deployments.
type DeploymentSource struct {
	MetadataURL string            `json:"metadata_url"`
	Headers     map[string]string `json:"headers,omitempty"`
	CACert      string            `json:"ca_cert,omitempty"`
	// Interval between polls; 10s by default.
	Interval Duration `json:"interval,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("1m30s") or
// a number of seconds.
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// or returns d, or def when d is zero.
func (d Duration) or(def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return time.Duration(d)
}

// ErrBootstrap marks an invalid bootstrap document.
var ErrBootstrap = errors.New("invalid bootstrap document")

func serviceNameOK(name string) bool {
	return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`).MatchString(name)
}

// ParseBootstrap parses and validates a bootstrap document.
func ParseBootstrap(data []byte) (*Bootstrap, error) {
	var b Bootstrap
	if err := yaml.UnmarshalStrict(data, &b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBootstrap, err)
	}
	if err := b.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBootstrap, err)
	}
	return &b, nil
}

func (b *Bootstrap) validate() error {
	if b.Version != BootstrapVersion {
		return fmt.Errorf("slipway_bootstrap is %q; this agent runs %q", b.Version, BootstrapVersion)
	}
	var errs []error
	for i, c := range b.Commands {
		if (len(c.Run) == 0) == (c.Shell == "") {
			errs = append(errs, fmt.Errorf("commands[%d]: exactly one of run and shell is required", i))
		}
	}
	names := map[string]bool{}
	for i, s := range b.Services {
		where := fmt.Sprintf("services[%d] (%s)", i, s.Name)
		if !serviceNameOK(s.Name) {
			errs = append(errs, fmt.Errorf("%s: name must match [A-Za-z0-9][A-Za-z0-9._-]*", where))
		}
		if names[s.Name] {
			errs = append(errs, fmt.Errorf("%s: duplicate name", where))
		}
		names[s.Name] = true
		if s.Command == "" {
			errs = append(errs, fmt.Errorf("%s: command is required", where))
		}
		switch s.Restart.Policy {
		case "", RestartAlways, RestartOnFailure, RestartNever:
		default:
			errs = append(errs, fmt.Errorf("%s: restart policy %q is not always, on-failure or never", where, s.Restart.Policy))
		}
		if p := s.Readiness; p != nil {
			n := 0
			for _, set := range []bool{len(p.Exec) > 0, p.HTTP != "", p.TCP != ""} {
				if set {
					n++
				}
			}
			if n != 1 {
				errs = append(errs, fmt.Errorf("%s: readiness needs exactly one of exec, http and tcp", where))
			}
			if p.HTTP != "" && !strings.HasPrefix(p.HTTP, "http://") && !strings.HasPrefix(p.HTTP, "https://") {
				errs = append(errs, fmt.Errorf("%s: readiness http %q is not an http(s) URL", where, p.HTTP))
			}
		}
	}
	for _, s := range b.Services {
		for _, dep := range s.After {
			if !names[dep] {
				errs = append(errs, fmt.Errorf("services (%s): after names unknown service %q", s.Name, dep))
			}
		}
	}
	if len(errs) == 0 {
		if cycle := b.afterCycle(); cycle != "" {
			errs = append(errs, fmt.Errorf("services: %s", cycle))
		}
	}
	if b.Signal != nil && b.Signal.URL == "" {
		errs = append(errs, errors.New("signal: url is required"))
	}
	if b.Include != nil && b.Include.URL == "" {
		errs = append(errs, errors.New("include: url is required"))
	}
	if b.Deployments != nil && b.Deployments.MetadataURL == "" {
		errs = append(errs, errors.New("deployments: metadata_url is required"))
	}
	return errors.Join(errs...)
}

// afterCycle describes a cycle in the services' after lists, or returns "".
func (b *Bootstrap) afterCycle() string {
	after := map[string][]string{}
	for _, s := range b.Services {
		after[s.Name] = s.After
	}
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var visit func(string, []string) string
	visit = func(n string, path []string) string {
		switch state[n] {
		case active:
			return "cycle in after: " + strings.Join(append(path, n), " -> ")
		case done:
			return ""
		}
		state[n] = active
		for _, d := range after[n] {
			if c := visit(d, append(path, n)); c != "" {
				return c
			}
		}
		state[n] = done
		return ""
	}
	for _, s := range b.Services {
		if c := visit(s.Name, nil); c != "" {
			return c
		}
	}
	return ""
}

// merge returns the document b includes (inc) with b over it: inc's
// files, commands and services first, then b's; b's hostname and signal
// when set.
func (b *Bootstrap) merge(inc *Bootstrap) (*Bootstrap, error) {
	if inc.Include != nil {
		return nil, fmt.Errorf("%w: an included document includes another", ErrBootstrap)
	}
	out := *inc
	out.Include = nil
	out.WriteFiles = append(slices.Clone(inc.WriteFiles), b.WriteFiles...)
	out.Commands = append(slices.Clone(inc.Commands), b.Commands...)
	out.Services = append(slices.Clone(inc.Services), b.Services...)
	if b.Hostname != "" {
		out.Hostname = b.Hostname
	}
	if b.Signal != nil {
		out.Signal = b.Signal
	}
	if b.Deployments != nil {
		out.Deployments = b.Deployments
	}
	if err := out.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBootstrap, err)
	}
	return &out, nil
}

// IncludePrefix is the path under which Slipway serves the documents that
// bootstrap documents include: IncludePrefix + token.
const IncludePrefix = "/bootstrap/v1/"

// IncludeSecret is the name of the secret that holds the document a
// token serves.
func IncludeSecret(token string) string { return "bootstrap/" + token }

// ValidIncludeToken reports whether s has the form of an include token:
// 64 lower-case hex digits.
func ValidIncludeToken(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
