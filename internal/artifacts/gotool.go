package artifacts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// outputTailLines is how many lines of the go tool's output a BuildError
// keeps: enough for a compiler error or a proxy's answer, short enough for a
// cluster's status_reason.
const outputTailLines = 20

// goTool runs the go command for builds, with an environment that keeps the
// host's Go caches warm and never downloads a toolchain.
type goTool struct {
	path    string
	version string // e.g. "go1.26.8"
	env     []string
}

// findGo returns the go command to use: path when set, else go on PATH, else
// the standard install location.
func findGo(path string) (string, error) {
	if path != "" {
		return path, nil
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/local/go/bin/go"); err == nil {
		return "/usr/local/go/bin/go", nil
	}
	return "", fmt.Errorf("find the go command: %w (install Go 1.26 or set the Go option)", exec.ErrNotFound)
}

// newGoTool prepares the go command at path. Builds inherit the process's
// environment, so GOCACHE, GOMODCACHE and GOPROXY stay those of the host's
// other Go builds; when no home directory is known they fall back to
// directories under cacheDir.
func newGoTool(ctx context.Context, path, cacheDir string) (*goTool, error) {
	path, err := findGo(path)
	if err != nil {
		return nil, err
	}
	env := buildEnv(os.Environ(), cacheDir)
	cmd := exec.CommandContext(ctx, path, "env", "GOVERSION")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("run %s env GOVERSION: %w", path, err)
	}
	return &goTool{path: path, version: strings.TrimSpace(string(out)), env: env}, nil
}

// buildEnv returns base with the settings every artifact build uses.
func buildEnv(base []string, cacheDir string) []string {
	override := map[string]string{
		"GOFLAGS":     "-mod=mod -buildvcs=false",
		"GOWORK":      "off",
		"GOTOOLCHAIN": "local",
		"GO111MODULE": "on",
		"CGO_ENABLED": "0",
		"GOOS":        runtime.GOOS,
		"GOARCH":      runtime.GOARCH,
	}
	have := map[string]bool{}
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		have[k] = true
	}
	if !have["GOCACHE"] && !have["XDG_CACHE_HOME"] && !have["HOME"] {
		override["GOCACHE"] = filepath.Join(cacheDir, "go", "build")
	}
	if !have["GOMODCACHE"] && !have["GOPATH"] && !have["HOME"] {
		override["GOMODCACHE"] = filepath.Join(cacheDir, "go", "mod")
	}
	env := make([]string, 0, len(base)+len(override))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := override[k]; !ok {
			env = append(env, kv)
		}
	}
	for k, v := range override {
		env = append(env, k+"="+v)
	}
	return env
}

// run runs the go command with args in dir. extraEnv entries override the
// environment. It returns the standard output, also on failure, which is
// then a *toolError carrying the tail of the standard error.
func (g *goTool) run(ctx context.Context, dir string, extraEnv []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, g.path, args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, g.env...), extraEnv...)
	var stdout bytes.Buffer
	tail := &tailBuffer{max: outputTailLines}
	cmd.Stdout = &stdout
	cmd.Stderr = tail
	err := cmd.Run()
	if m, ok := ctx.Value(cpuMeterKey{}).(*cpuMeter); ok && cmd.ProcessState != nil {
		// The rusage of a waited-for process includes the compilers and
		// linkers it waited for.
		m.add(cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime())
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return stdout.Bytes(), &toolError{Command: "go " + strings.Join(args, " "), Output: tail.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// cpuMeter adds up the CPU time of the commands a build runs.
type cpuMeter struct {
	mu sync.Mutex
	d  time.Duration
}

type cpuMeterKey struct{}

func (m *cpuMeter) add(d time.Duration) {
	m.mu.Lock()
	m.d += d
	m.mu.Unlock()
}

func (m *cpuMeter) total() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.d
}

// toolError is a failed go command.
type toolError struct {
	Command string
	Output  string
	Err     error
}

func (e *toolError) Error() string {
	if e.Output == "" {
		return fmt.Sprintf("%s: %v", e.Command, e.Err)
	}
	return fmt.Sprintf("%s: %v:\n%s", e.Command, e.Err, e.Output)
}

func (e *toolError) Unwrap() error { return e.Err }

// BuildError is a failed build of one component of a Kubernetes version.
// Its message names the version and the component and ends with the tail of
// the build tool's output, so it can be shown to a user as it is.
type BuildError struct {
	// Version is the Kubernetes version being built.
	Version string
	// Component is the component that failed, such as "kubernetes".
	Component string
	// Output is the tail of the build tool's output, if any.
	Output string
	// Err is the underlying error.
	Err error
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("cannot build Kubernetes %s: %s: %v", e.Version, e.Component, e.Err)
}

func (e *BuildError) Unwrap() error { return e.Err }

// newBuildError wraps err for component of version, lifting the tool output
// out of a *toolError.
func newBuildError(version, component string, err error) error {
	var be *BuildError
	if errors.As(err, &be) {
		return err
	}
	out := ""
	var te *toolError
	if errors.As(err, &te) {
		out = te.Output
	}
	return &BuildError{Version: version, Component: component, Output: out, Err: err}
}

// tailBuffer keeps the last max lines written to it.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	lines   []string
	partial []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	data := append(t.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		t.add(string(data[:i]))
		data = data[i+1:]
	}
	t.partial = append([]byte(nil), data...)
	return len(p), nil
}

func (t *tailBuffer) add(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// String returns the kept lines.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if len(t.partial) > 0 {
		lines = append(append([]string{}, lines...), string(t.partial))
		if len(lines) > t.max {
			lines = lines[len(lines)-t.max:]
		}
	}
	return strings.Join(lines, "\n")
}
