package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Agent is a machine's init: it runs the machine's user_data, supervises
// the services of a bootstrap document, polls for software deployments and
// reports its Status. Paths are those the agent sees: inside a machine,
// the defaults of this package's constants.
type Agent struct {
	// UserData is the user_data file; a missing file is no user_data.
	UserData string
	// Root is the directory write_files, /etc/hostname and cfn-init data
	// are written under: "/" in a machine.
	Root string
	// StatusFile, LogDir and StateDir: see the package's constants.
	StatusFile string
	LogDir     string
	StateDir   string
	// Nonce and Boot identify this boot in the status file.
	Nonce string
	Boot  int
	// Env is the environment of scripts, commands and services.
	Env []string
	// Console receives the output of scripts and commands; the agent's own
	// log should go there too.
	Console *os.File
	Log     *slog.Logger
	// KernelHostname lets the agent set the kernel's hostname; set it only
	// when the agent owns a UTS namespace.
	KernelHostname bool
	// ReapAll makes the agent reap every child: set it when the agent is
	// PID 1 of a PID namespace or a child subreaper.
	ReapAll bool
}

// Run runs the agent until ctx ends, then stops every service and returns.
func (a *Agent) Run(ctx context.Context) error {
	st := newStatusWriter(a.StatusFile, a.Nonce, a.Boot)
	reap := newReaper(a.ReapAll)
	// The reaper outlives ctx: stopping services needs it.
	reapCtx, stopReaper := context.WithCancel(context.Background())
	defer stopReaper()
	go reap.loop(reapCtx)

	if err := st.update(func(s *Status) { s.State = StateUp }); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	a.Log.Info("machine agent up", "boot", a.Boot)

	var wg sync.WaitGroup
	defer wg.Wait()
	bg := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	bg(func() { a.boot(ctx, reap, st, bg) })
	<-ctx.Done()
	a.Log.Info("machine agent stopping")
	_ = st.update(func(s *Status) { s.State = StateStopping })
	wg.Wait()
	if !a.ReapAll {
		return nil
	}
	// As PID 1 our exit takes every process with it; as a subreaper the
	// orphans must be ended here.
	a.killChildren(reap)
	return nil
}

// killChildren ends every remaining child: SIGTERM, then SIGKILL after the
// grace period.
func (a *Agent) killChildren(reap *reaper) {
	deadline := time.Now().Add(stopGrace)
	sig := unix.SIGTERM
	for {
		kids := children()
		if len(kids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			sig = unix.SIGKILL
		}
		for _, pid := range kids {
			_ = unix.Kill(pid, sig)
		}
		reap.reap()
		time.Sleep(20 * time.Millisecond)
	}
}

// boot runs the user_data, then starts the services and the deployment
// poller in the background (through bg), and reports each step.
func (a *Agent) boot(ctx context.Context, reap *reaper, st *statusWriter, bg func(func())) {
	data, err := os.ReadFile(a.UserData)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		a.failUserData(st, fmt.Sprintf("read user_data: %v", err))
		return
	}
	parts, err := ParseUserData(data)
	if err != nil {
		a.failUserData(st, err.Error())
		return
	}
	plan, problems := a.planUserData(parts)
	_ = st.update(func(s *Status) { s.UserData = TaskStatus{State: "running", Kind: plan.kinds} })
	if plan.bootstrap != nil && plan.bootstrap.Include != nil {
		b, err := a.include(ctx, plan.bootstrap)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			a.failUserData(st, err.Error())
			return
		}
		plan.bootstrap = b
	}
	for _, p := range problems {
		a.Log.Warn("user_data", "problem", p)
	}
	failures := a.runUserData(ctx, reap, plan)
	failures = append(failures, problems...)
	if ctx.Err() != nil {
		return
	}
	if len(failures) > 0 {
		a.failUserData(st, strings.Join(failures, "; "))
	} else {
		_ = st.update(func(s *Status) { s.UserData.State = "done" })
		a.Log.Info("user_data done", "kinds", strings.Join(plan.kinds, ","))
	}
	if plan.bootstrap != nil {
		b := plan.bootstrap
		if len(failures) > 0 {
			a.signal(ctx, b.Signal, false, "user_data failed: "+strings.Join(failures, "; "))
		} else {
			sup := newSupervisor(reap, a.Env, a.LogDir, a.Log, b.Services, func(ss []ServiceStatus) {
				_ = st.update(func(s *Status) { s.Services = ss })
			})
			bg(func() { sup.run(ctx) })
			bg(func() { a.awaitServices(ctx, sup, b.Signal) })
		}
	}
	if src, ok := a.deploymentSource(plan); ok {
		p := &poller{src: src, run: reap, root: a.Root, stateDir: a.StateDir,
			kernelHostname: a.KernelHostname, log: a.Log,
			report: func(d DeploymentStatus) {
				_ = st.update(func(s *Status) { s.Deployments = append(s.Deployments, d) })
			}}
		bg(func() { _ = p.loop(ctx) })
	}
}

// include fetches the rest of a bootstrap document, retrying (the
// endpoint may be Slipway starting, after a host reboot) until it answers
// or ctx ends, and merges it.
func (a *Agent) include(ctx context.Context, b *Bootstrap) (*Bootstrap, error) {
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		data, err := b.Include.fetch(ctx)
		if err == nil {
			inc, err := ParseBootstrap(data)
			if err != nil {
				return nil, fmt.Errorf("included document: %w", err)
			}
			return b.merge(inc)
		}
		if se := (*statusError)(nil); errors.As(err, &se) && se.final() {
			return nil, err
		}
		if attempt == 1 || attempt%20 == 0 {
			a.Log.Warn("fetching the included bootstrap document; retrying", "error", err, "attempt", attempt)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (a *Agent) failUserData(st *statusWriter, reason string) {
	a.Log.Error("user_data failed", "reason", reason)
	_ = st.update(func(s *Status) { s.UserData.State, s.UserData.Reason = "failed", reason })
}

// awaitServices signals the bootstrap document's endpoint once every
// service is ready, or with the first service that failed.
func (a *Agent) awaitServices(ctx context.Context, sup *supervisor, ep *Endpoint) {
	ready, failed := sup.outcome(ctx)
	select {
	case <-ctx.Done():
	case <-ready:
		a.Log.Info("all services ready")
		a.signal(ctx, ep, true, "all services ready")
	case name := <-failed:
		a.signal(ctx, ep, false, "service "+name+" failed")
	}
}

// signal tells ep the outcome as a Heat wait condition expects it,
// retrying for a while: the endpoint may not be reachable at once.
func (a *Agent) signal(ctx context.Context, ep *Endpoint, ok bool, reason string) {
	if ep == nil {
		return
	}
	status := "SUCCESS"
	if !ok {
		status = "FAILURE"
	}
	host, _ := os.Hostname()
	body, _ := json.Marshal(map[string]string{"status": status, "reason": reason, "data": reason, "id": host})
	backoff := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := ep.send(ctx, body)
		if err == nil {
			a.Log.Info("signalled", "status", status, "reason", reason)
			return
		}
		if attempt >= 30 || ctx.Err() != nil {
			a.Log.Error("signal failed", "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

func (a *Agent) deploymentSource(plan *userDataPlan) (DeploymentSource, bool) {
	if plan.bootstrap != nil && plan.bootstrap.Deployments != nil {
		return *plan.bootstrap.Deployments, true
	}
	src, err := osCollectConfigSource(filepath.Join(a.Root, "etc", "os-collect-config.conf"))
	if err != nil {
		return DeploymentSource{}, false
	}
	return src, true
}

// userDataPlan is the user_data's parts, parsed, in the order they run.
type userDataPlan struct {
	kinds     []string
	steps     []userDataStep
	bootstrap *Bootstrap
}

// userDataStep is one part.
type userDataStep struct {
	index int
	part  Part
	cc    *CloudConfig
}

// planUserData parses every part and returns what to run and the problems
// found (unsupported parts, parse errors).
func (a *Agent) planUserData(parts []Part) (*userDataPlan, []string) {
	plan := &userDataPlan{}
	var problems []string
	seen := map[string]bool{}
	addKind := func(k string) {
		if !seen[k] {
			seen[k] = true
			plan.kinds = append(plan.kinds, k)
		}
	}
	for i, p := range parts {
		where := fmt.Sprintf("part %d (%s)", i+1, p.Type)
		switch p.Type {
		case TypeShellScript:
			addKind("script")
			plan.steps = append(plan.steps, userDataStep{index: i + 1, part: p})
		case TypeCloudConfig:
			addKind("cloud-config")
			cc, err := ParseCloudConfig(p.Content)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", where, err))
				continue
			}
			if len(cc.Ignored) > 0 {
				a.Log.Warn("cloud-config keys not supported, ignored", "keys", strings.Join(cc.Ignored, ","))
			}
			plan.steps = append(plan.steps, userDataStep{index: i + 1, part: p, cc: cc})
		case TypeCfnInitData:
			addKind("cfn-init-data")
			plan.steps = append(plan.steps, userDataStep{index: i + 1, part: p})
		case TypeBootstrap:
			addKind("bootstrap")
			if plan.bootstrap != nil {
				problems = append(problems, where+": more than one bootstrap document")
				continue
			}
			b, err := ParseBootstrap(p.Content)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", where, err))
				continue
			}
			plan.bootstrap = b
		default:
			a.Log.Warn("user_data part type not supported, skipped", "part", i+1, "type", p.Type, "filename", p.Filename)
		}
	}
	return plan, problems
}

// runUserData runs the plan in cloud-init's order: bootcmd, hostname,
// write_files (cloud-config, then the bootstrap document), cfn-init data,
// then scripts and runcmd in part order, then the bootstrap document's
// commands. It returns what failed.
func (a *Agent) runUserData(ctx context.Context, reap *reaper, plan *userDataPlan) []string {
	var failures []string
	run := func(ctx context.Context, what string, argv []string, env []string) {
		if ctx.Err() != nil {
			return
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env, cmd.Dir = env, a.Root
		cmd.Stdout, cmd.Stderr = a.Console, a.Console
		a.Log.Info("running", "what", what)
		code, err := reap.run(ctx, cmd)
		switch {
		case err != nil:
			failures = append(failures, fmt.Sprintf("%s: %v", what, err))
		case code != 0:
			failures = append(failures, fmt.Sprintf("%s: exit status %d", what, code))
		}
		if err != nil || code != 0 {
			a.Log.Error("failed", "what", what, "code", code, "err", errString(err))
		}
	}
	hostname := ""
	for _, s := range plan.steps {
		if s.cc == nil {
			continue
		}
		for j, c := range s.cc.BootCmd {
			run(ctx, fmt.Sprintf("part %d bootcmd %d", s.index, j+1), c.argv(), a.Env)
		}
		if s.cc.Hostname != "" {
			hostname = s.cc.Hostname
		}
	}
	if plan.bootstrap != nil && plan.bootstrap.Hostname != "" {
		hostname = plan.bootstrap.Hostname
	}
	if hostname != "" {
		if err := setHostname(a.Root, hostname, a.KernelHostname); err != nil {
			failures = append(failures, err.Error())
		}
	}
	var files []WriteFile
	for _, s := range plan.steps {
		if s.cc != nil {
			files = append(files, s.cc.WriteFiles...)
		}
	}
	if plan.bootstrap != nil {
		files = append(files, plan.bootstrap.WriteFiles...)
	}
	for _, f := range files {
		if err := f.write(a.Root); err != nil {
			failures = append(failures, err.Error())
		}
	}
	scripts := filepath.Join(a.StateDir, "scripts")
	if err := os.MkdirAll(scripts, 0o700); err != nil {
		return append(failures, fmt.Sprintf("scripts: %v", err))
	}
	for _, s := range plan.steps {
		switch {
		case s.cc != nil:
			for j, c := range s.cc.RunCmd {
				run(ctx, fmt.Sprintf("part %d runcmd %d", s.index, j+1), c.argv(), a.Env)
			}
		case s.part.Type == TypeShellScript:
			run(ctx, fmt.Sprintf("part %d script", s.index), a.scriptArgv(scripts, s), a.Env)
		case s.part.Type == TypeCfnInitData:
			name := filepath.Base(s.part.Filename)
			if name == "." || name == "/" || name == "" {
				name = fmt.Sprintf("part-%03d", s.index)
			}
			dir := filepath.Join(a.Root, "var", "lib", "heat-cfntools")
			path := filepath.Join(dir, name)
			err := os.MkdirAll(dir, 0o700)
			if err == nil {
				err = os.WriteFile(path, s.part.Content, 0o700)
			}
			if err != nil {
				failures = append(failures, fmt.Sprintf("part %d: %v", s.index, err))
				continue
			}
			// heat-cfntools runs the cfn-userdata part as a script.
			if name == "cfn-userdata" {
				run(ctx, fmt.Sprintf("part %d cfn-userdata", s.index), a.scriptArgv(scripts, s), a.Env)
			}
		}
	}
	if b := plan.bootstrap; b != nil {
		for i, c := range b.Commands {
			name := c.Name
			if name == "" {
				name = fmt.Sprintf("%d", i+1)
			}
			argv := c.Run
			if len(argv) == 0 {
				argv = []string{"/bin/sh", "-c", c.Shell}
			}
			cctx, cancel := ctx, context.CancelFunc(func() {})
			if c.Timeout > 0 {
				cctx, cancel = context.WithTimeout(ctx, time.Duration(c.Timeout))
			}
			before := len(failures)
			run(cctx, "bootstrap command "+name, argv, mergeEnv(a.Env, c.Env))
			cancel()
			if len(failures) > before {
				break // later commands and the services depend on this one
			}
		}
	}
	return failures
}

// scriptArgv writes a script part to the scripts directory and returns how
// to run it: directly when it has a #! line, with /bin/sh otherwise.
func (a *Agent) scriptArgv(dir string, s userDataStep) []string {
	path := filepath.Join(dir, fmt.Sprintf("part-%03d", s.index))
	if err := os.WriteFile(path, s.part.Content, 0o700); err != nil {
		return []string{"/bin/sh", "-c", "echo " + shellQuote(err.Error()) + " >&2; exit 1"}
	}
	if strings.HasPrefix(string(s.part.Content), "#!") {
		return []string{path}
	}
	return []string{"/bin/sh", path}
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
