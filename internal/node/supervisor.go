package node

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Service states reported in ServiceStatus.State.
const (
	serviceWaiting  = "waiting"
	serviceStarting = "starting"
	serviceRunning  = "running"
	serviceBackoff  = "backoff"
	serviceExited   = "exited"
	serviceFailed   = "failed"
)

// stopGrace is how long a stopping service has between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second

// supervisor runs a bootstrap document's services.
type supervisor struct {
	reaper *reaper
	env    []string
	logDir string
	log    *slog.Logger
	// changed is called after every status change.
	changed func([]ServiceStatus)
	// services are fixed at construction.
	services []*serviceRunner
}

// serviceRunner is one supervised service.
type serviceRunner struct {
	spec Service
	// ready is closed the first time the service is ready; failed when it
	// will not run again.
	ready, failed         chan struct{}
	readyOnce, failedOnce sync.Once

	mu sync.Mutex
	st ServiceStatus
}

// newSupervisor returns a supervisor of services; run starts them.
func newSupervisor(r *reaper, env []string, logDir string, log *slog.Logger, services []Service, changed func([]ServiceStatus)) *supervisor {
	s := &supervisor{reaper: r, env: env, logDir: logDir, log: log, changed: changed}
	for _, spec := range services {
		s.services = append(s.services, &serviceRunner{spec: spec, ready: make(chan struct{}), failed: make(chan struct{}),
			st: ServiceStatus{Name: spec.Name, State: serviceWaiting}})
	}
	return s
}

// status returns every service's status, in document order.
func (s *supervisor) status() []ServiceStatus {
	out := make([]ServiceStatus, 0, len(s.services))
	for _, r := range s.services {
		r.mu.Lock()
		out = append(out, r.st)
		r.mu.Unlock()
	}
	return out
}

func (s *supervisor) notify() {
	if s.changed != nil {
		s.changed(s.status())
	}
}

// run starts every service and supervises them until ctx ends, then stops
// them. It returns once every service has stopped.
func (s *supervisor) run(ctx context.Context) {
	byName := map[string]*serviceRunner{}
	for _, r := range s.services {
		byName[r.spec.Name] = r
	}
	s.notify()
	var wg sync.WaitGroup
	for _, r := range byName {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.supervise(ctx, r, byName)
		}()
	}
	wg.Wait()
}

// outcome returns a channel closed once every service has been ready, and
// one that receives the name of the first service that failed for good.
func (s *supervisor) outcome(ctx context.Context) (ready <-chan struct{}, failed <-chan string) {
	list := s.services
	allReady, firstFailed := make(chan struct{}), make(chan string, 1)
	results := make(chan string, len(list)) // "" for ready, else the failed name
	for _, svc := range list {
		go func() {
			select {
			case <-svc.ready:
				results <- ""
			case <-svc.failed:
				results <- svc.spec.Name
			case <-ctx.Done():
			}
		}()
	}
	go func() {
		for range list {
			select {
			case name := <-results:
				if name != "" {
					firstFailed <- name
					return
				}
			case <-ctx.Done():
				return
			}
		}
		close(allReady)
	}()
	return allReady, firstFailed
}

func (r *serviceRunner) set(f func(*ServiceStatus)) {
	r.mu.Lock()
	f(&r.st)
	r.mu.Unlock()
}

func (s *supervisor) supervise(ctx context.Context, r *serviceRunner, byName map[string]*serviceRunner) {
	spec := r.spec
	log := s.log.With("service", spec.Name)
	for _, dep := range spec.After {
		d := byName[dep]
		select {
		case <-ctx.Done():
			return
		case <-d.ready:
		case <-d.failed:
			r.set(func(st *ServiceStatus) { st.State, st.LastExit = serviceFailed, "dependency "+dep+" failed" })
			r.failedOnce.Do(func() { close(r.failed) })
			s.notify()
			log.Error("service not started: a dependency failed", "dependency", dep)
			return
		}
	}
	logs, err := s.openLog(spec)
	if err != nil {
		r.set(func(st *ServiceStatus) { st.State, st.LastExit = serviceFailed, err.Error() })
		r.failedOnce.Do(func() { close(r.failed) })
		s.notify()
		log.Error("service log", "err", err)
		return
	}
	defer logs.Close()

	policy := spec.Restart
	initial := policy.Backoff.or(200 * time.Millisecond)
	maxBackoff := policy.MaxBackoff.or(30 * time.Second)
	resetAfter := policy.ResetAfter.or(time.Minute)
	backoff := initial
	restarts := 0
	for {
		started := time.Now()
		exit, pid, stopProbe, err := s.startOnce(ctx, r, logs)
		if err != nil {
			log.Error("service start failed", "err", err)
			r.set(func(st *ServiceStatus) { st.LastExit = "start: " + err.Error() })
		} else {
			log.Info("service started", "pid", pid)
			var st exitStatus
			select {
			case st = <-exit:
			case <-ctx.Done():
				stopProbe()
				s.stop(pid, exit)
				r.set(func(st *ServiceStatus) { st.State, st.PID, st.Ready = serviceExited, 0, false })
				s.notify()
				return
			}
			stopProbe()
			log.Info("service exited", "status", st.String())
			r.set(func(ss *ServiceStatus) { ss.PID, ss.Ready, ss.LastExit = 0, false, st.String() })
			// Whatever the service left in its process group goes with it.
			_ = unix.Kill(-pid, unix.SIGKILL)
			if policy.Policy == RestartNever || (policy.Policy == RestartOnFailure && st.Code() == 0) {
				state := serviceExited
				if st.Code() != 0 {
					state = serviceFailed
					r.failedOnce.Do(func() { close(r.failed) })
				}
				r.set(func(ss *ServiceStatus) { ss.State = state })
				s.notify()
				return
			}
		}
		if time.Since(started) >= resetAfter {
			backoff = initial
		}
		if policy.MaxRestarts > 0 && restarts >= policy.MaxRestarts {
			r.set(func(st *ServiceStatus) { st.State = serviceFailed })
			r.failedOnce.Do(func() { close(r.failed) })
			s.notify()
			log.Error("service failed: too many restarts", "restarts", restarts)
			return
		}
		r.set(func(st *ServiceStatus) { st.State = serviceBackoff })
		s.notify()
		select {
		case <-ctx.Done():
			r.set(func(st *ServiceStatus) { st.State = serviceExited })
			s.notify()
			return
		case <-time.After(backoff):
		}
		restarts++
		r.set(func(st *ServiceStatus) { st.Restarts = restarts })
		backoff = min(2*backoff, maxBackoff)
	}
}

func (s *supervisor) openLog(spec Service) (*rotatingFile, error) {
	if err := os.MkdirAll(s.logDir, 0o755); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	maxSize := int64(spec.Logs.MaxSizeMiB) << 20
	if maxSize <= 0 {
		maxSize = 10 << 20
	}
	keep := spec.Logs.Keep
	if keep <= 0 {
		keep = 1
	}
	return openRotating(filepath.Join(s.logDir, spec.Name+".log"), maxSize, keep)
}

// startOnce starts the service's process and, when it has a readiness
// probe, a goroutine probing it. stopProbe ends that goroutine.
func (s *supervisor) startOnce(ctx context.Context, r *serviceRunner, logs *rotatingFile) (<-chan exitStatus, int, func(), error) {
	spec := r.spec
	pw, copied, err := pipeTo(logs)
	if err != nil {
		return nil, 0, nil, err
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		_ = pw.Close()
		return nil, 0, nil, err
	}
	cmd := exec.Command(spec.Command, spec.Args...)
	cmd.Env = mergeEnv(s.env, spec.Env)
	cmd.Dir = spec.WorkingDir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pid, exit, err := s.reaper.start(cmd)
	_ = pw.Close()
	_ = devnull.Close()
	if err != nil {
		<-copied
		return nil, 0, nil, err
	}
	state := serviceRunning
	if spec.Readiness != nil {
		state = serviceStarting
	}
	r.set(func(st *ServiceStatus) { st.State, st.PID, st.Ready = state, pid, spec.Readiness == nil })
	if spec.Readiness == nil {
		r.readyOnce.Do(func() { close(r.ready) })
	}
	s.notify()
	probeCtx, cancel := context.WithCancel(ctx)
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		if spec.Readiness != nil {
			s.probe(probeCtx, r)
		}
	}()
	// The process's exit is passed on only once its output is copied.
	out := make(chan exitStatus, 1)
	go func() {
		st := <-exit
		<-copied
		out <- st
	}()
	return out, pid, func() { cancel(); <-probeDone }, nil
}

// probe runs the readiness probe until ctx ends, keeping Ready current.
func (s *supervisor) probe(ctx context.Context, r *serviceRunner) {
	p := r.spec.Readiness
	period := p.Period.or(time.Second)
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Duration(p.InitialDelay)):
	}
	for {
		err := p.check(ctx, s.reaper, mergeEnv(s.env, r.spec.Env))
		if ctx.Err() != nil {
			return
		}
		ready := err == nil
		var changed bool
		r.set(func(st *ServiceStatus) {
			changed = st.Ready != ready
			st.Ready = ready
			if ready {
				st.State = serviceRunning
			}
		})
		if ready {
			r.readyOnce.Do(func() { close(r.ready) })
		}
		if changed {
			s.log.Info("service readiness", "service", r.spec.Name, "ready", ready, "probe", errString(err))
			s.notify()
		}
		// Until the first success, probe more often than the period.
		wait := period
		if !ready && wait > 200*time.Millisecond {
			select {
			case <-r.ready:
			default:
				wait = 200 * time.Millisecond
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// stop ends a service: SIGTERM to its process group, SIGKILL after the
// grace period.
func (s *supervisor) stop(pid int, exit <-chan exitStatus) {
	_ = unix.Kill(-pid, unix.SIGTERM)
	select {
	case <-exit:
	case <-time.After(stopGrace):
		_ = unix.Kill(-pid, unix.SIGKILL)
		<-exit
	}
	_ = unix.Kill(-pid, unix.SIGKILL)
}

// mergeEnv returns base with extra's variables set, sorted for stable
// output.
func mergeEnv(base []string, extra map[string]string) []string {
	if len(extra) == 0 {
		return base
	}
	out := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		k := kv
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				k = kv[:i]
				break
			}
		}
		if _, ok := extra[k]; !ok {
			out = append(out, kv)
		}
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+extra[k])
	}
	return out
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
