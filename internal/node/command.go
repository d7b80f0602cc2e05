package node

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// options are the flags of `slipway node`.
type options struct {
	plan       string
	userData   string
	root       string
	statusFile string
	logDir     string
	stateDir   string
}

// Command returns `slipway node`, the machine agent. Slipway's machine
// manager starts it as `slipway node launch PLAN`, which starts
// `slipway node --plan PLAN` as the machine's init. Run by hand with
// --user-data it runs the agent in the current root (a child subreaper,
// without hostname changes), which is how its behaviour can be tried on a
// workstation.
func Command() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run the machine agent: the init of a Slipway machine",
		Long: "The machine agent runs a machine's user_data (shell scripts, #cloud-config, MIME " +
			"multipart, Slipway bootstrap documents), supervises its services, runs Heat software " +
			"deployments and reports the machine's status.",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: false,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			if o.plan != "" {
				return runMachine(ctx, o.plan)
			}
			return runStandalone(ctx, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.plan, "plan", "", "boot plan: run as a machine's init (internal)")
	f.StringVar(&o.userData, "user-data", UserDataFile, "user_data file")
	f.StringVar(&o.root, "root", "/", "directory that write_files and /etc/hostname are written under")
	f.StringVar(&o.statusFile, "status-file", StatusFile, "where the agent reports its status")
	f.StringVar(&o.logDir, "log-dir", LogDir, "directory of the services' logs")
	f.StringVar(&o.stateDir, "state-dir", StateDir, "directory the agent keeps across boots")
	_ = f.MarkHidden("plan")
	cmd.AddCommand(&cobra.Command{
		Use:    "launch PLAN",
		Short:  "Start a machine from a boot plan (internal)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return launch(args[0])
		},
	})
	return cmd
}

// runMachine is the second boot stage and then the agent, as PID 1.
func runMachine(ctx context.Context, planPath string) error {
	plan, err := ReadBootPlan(planPath)
	if err != nil {
		return err
	}
	if os.Getpid() != 1 {
		return fmt.Errorf("node --plan must run as PID 1 of a new PID namespace (it is started by node launch)")
	}
	if err := bootRoot(plan); err != nil {
		reportBootFailure(plan, err)
		return fmt.Errorf("boot machine %s: %w", plan.MachineID, err)
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	a := &Agent{
		UserData: UserDataFile, Root: "/", StatusFile: StatusFile, LogDir: LogDir, StateDir: StateDir,
		Nonce: plan.Nonce, Boot: plan.Boot,
		Env:     append(os.Environ(), "SLIPWAY_BOOT="+strconv.Itoa(plan.Boot)),
		Console: os.Stdout, Log: log, KernelHostname: true, ReapAll: true,
	}
	return a.Run(ctx)
}

// reportBootFailure writes a failed status for the manager when the boot
// stage fails before the agent runs; the root is not pivoted yet, so the
// status goes through the plan's disk directory.
func reportBootFailure(plan *BootPlan, cause error) {
	r, err := os.OpenRoot(plan.Root)
	if err != nil {
		return
	}
	defer r.Close()
	now := time.Now().UTC()
	st := Status{Nonce: plan.Nonce, Boot: plan.Boot, State: StateFailed, Reason: cause.Error(),
		Since: now, Updated: now, UserData: TaskStatus{State: "pending"}}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return
	}
	rel := strings.TrimPrefix(StatusFile, "/")
	if err := r.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
		return
	}
	_ = r.WriteFile(rel, data, 0o644)
}

// runStandalone runs the agent outside a machine.
func runStandalone(ctx context.Context, o *options) error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become a child subreaper: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	a := &Agent{
		UserData: o.userData, Root: o.root, StatusFile: o.statusFile, LogDir: o.logDir, StateDir: o.stateDir,
		Nonce: "standalone", Boot: 1, Env: os.Environ(), Console: os.Stdout, Log: log, ReapAll: true,
	}
	return a.Run(ctx)
}
