package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Deployment is one entry of the "deployments" list in a server's Heat
// metadata, as OS::Heat::SoftwareDeployment puts it there.
type Deployment struct {
	// ID is the derived configuration's id: a new one for every change.
	ID      string             `json:"id"`
	Name    string             `json:"name,omitempty"`
	Group   string             `json:"group"`
	Config  any                `json:"config"`
	Inputs  []DeploymentInput  `json:"inputs,omitempty"`
	Outputs []DeploymentOutput `json:"outputs,omitempty"`
	Options map[string]any     `json:"options,omitempty"`
}

// DeploymentInput is one input of a deployment. Heat's deploy_* inputs
// (deploy_signal_id, deploy_signal_verb, deploy_signal_transport, …) are
// inputs too.
type DeploymentInput struct {
	Name  string `json:"name"`
	Type  string `json:"type,omitempty"`
	Value any    `json:"value"`
}

// DeploymentOutput declares an output the configuration produces.
type DeploymentOutput struct {
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
	// ErrorOutput marks an output whose non-empty value fails the
	// deployment.
	ErrorOutput bool `json:"error_output,omitempty"`
}

// SoftwareConfig is what RunDeployment runs: an OS::Heat::SoftwareConfig's
// group, config and declared outputs.
type SoftwareConfig struct {
	// Group is "script", or "ungrouped" / "cloud-config" for a cloud-config
	// (or a #! script) in Config.
	Group   string             `json:"group"`
	Config  string             `json:"config"`
	Outputs []DeploymentOutput `json:"outputs,omitempty"`
}

// DeploymentResult is what a deployment signals back to Heat.
type DeploymentResult struct {
	Stdout     string
	Stderr     string
	StatusCode int
	// Outputs are the declared outputs' values.
	Outputs map[string]string
}

// signalBody is the JSON body heat-config sends: deploy_stdout,
// deploy_stderr, deploy_status_code and one key per output.
func (r DeploymentResult) signalBody() ([]byte, error) {
	body := map[string]any{
		"deploy_stdout":      r.Stdout,
		"deploy_stderr":      r.Stderr,
		"deploy_status_code": r.StatusCode,
	}
	for k, v := range r.Outputs {
		body[k] = v
	}
	return json.Marshal(body)
}

// RunDeployment runs one software configuration as heat-config's hooks do,
// with each input as an environment variable, in a fresh working directory
// that it removes afterwards:
//   - group "script": Config is written to a file and executed (with
//     /bin/sh when it has no #! line); each declared output is read from
//     the file "$heat_outputs_path.<name>";
//   - groups "ungrouped" and "cloud-config": a #cloud-config document is
//     applied (write_files, bootcmd, runcmd; hostname), a #! script runs as
//     for "script".
//
// It returns the captured standard output and error and the exit status;
// status 1 and a message in stderr for what could not run at all.
func RunDeployment(ctx context.Context, cfg SoftwareConfig, inputs map[string]string) (stdout, stderr string, code int) {
	dir, err := os.MkdirTemp("", "slipway-deployment-")
	if err != nil {
		return "", err.Error(), 1
	}
	defer os.RemoveAll(dir)
	res := runDeployment(ctx, plainRunner{}, "/", dir, false, cfg, inputs)
	return res.Stdout, res.Stderr, res.StatusCode
}

// runDeployment is RunDeployment with the runner, the root the agent writes
// files under and the working directory chosen by the caller.
func runDeployment(ctx context.Context, run runner, root, dir string, kernelHostname bool, cfg SoftwareConfig, inputs map[string]string) DeploymentResult {
	fail := func(format string, a ...any) DeploymentResult {
		return DeploymentResult{Stderr: fmt.Sprintf(format, a...), StatusCode: 1}
	}
	env := append(os.Environ(), sortedEnv(inputs)...)
	outputsPath := filepath.Join(dir, "outputs")
	env = append(env, "heat_outputs_path="+outputsPath)
	outFile, errFile := filepath.Join(dir, "stdout"), filepath.Join(dir, "stderr")
	stdout, err := os.Create(outFile)
	if err != nil {
		return fail("deployment: %v", err)
	}
	defer stdout.Close()
	stderr, err := os.Create(errFile)
	if err != nil {
		return fail("deployment: %v", err)
	}
	defer stderr.Close()

	kind := cfg.Group
	if kind == "ungrouped" || kind == "cloud-config" || kind == "Heat::Ungrouped" {
		switch t := detectType([]byte(cfg.Config)); t {
		case TypeShellScript:
			kind = "script"
		case TypeCloudConfig:
			kind = "cloud-config"
		default:
			return fail("deployment group %s: config is neither #cloud-config nor a #! script", cfg.Group)
		}
	}
	code := 0
	switch kind {
	case "script":
		script := filepath.Join(dir, "config")
		if err := os.WriteFile(script, []byte(cfg.Config), 0o700); err != nil {
			return fail("deployment: %v", err)
		}
		argv := []string{script}
		if !strings.HasPrefix(cfg.Config, "#!") {
			argv = []string{"/bin/sh", script}
		}
		code = runCapture(ctx, run, argv, env, dir, stdout, stderr)
	case "cloud-config":
		cc, err := ParseCloudConfig([]byte(cfg.Config))
		if err != nil {
			return fail("%v", err)
		}
		code = applyCloudConfig(ctx, run, root, kernelHostname, cc, env, stdout, stderr)
	default:
		return fail("deployment group %q is not supported by slipway node (script, ungrouped and cloud-config are)", cfg.Group)
	}
	res := DeploymentResult{StatusCode: code, Outputs: map[string]string{}}
	res.Stdout = readCapped(outFile)
	res.Stderr = readCapped(errFile)
	for _, o := range cfg.Outputs {
		b, err := os.ReadFile(outputsPath + "." + o.Name)
		if err != nil {
			continue
		}
		res.Outputs[o.Name] = string(b)
		if o.ErrorOutput && len(strings.TrimSpace(string(b))) > 0 && res.StatusCode == 0 {
			res.StatusCode = 1
		}
	}
	return res
}

// runCapture runs argv with its output in the given files and returns the
// exit code (1 when it could not start).
func runCapture(ctx context.Context, run runner, argv, env []string, dir string, stdout, stderr *os.File) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = env, dir, stdout, stderr
	code, err := run.run(ctx, cmd)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", argv[0], err)
		if code <= 0 {
			code = 1
		}
	}
	return code
}

// applyCloudConfig applies a cloud-config with the commands' output in the
// given files, and returns the first non-zero exit code.
func applyCloudConfig(ctx context.Context, run runner, root string, kernelHostname bool, cc *CloudConfig, env []string, stdout, stderr *os.File) int {
	code := 0
	note := func(c int) {
		if code == 0 && c != 0 {
			code = c
		}
	}
	for _, c := range cc.BootCmd {
		note(runCapture(ctx, run, c.argv(), env, "/", stdout, stderr))
	}
	if cc.Hostname != "" {
		if err := setHostname(root, cc.Hostname, kernelHostname); err != nil {
			fmt.Fprintln(stderr, err)
			note(1)
		}
	}
	for _, f := range cc.WriteFiles {
		if err := f.write(root); err != nil {
			fmt.Fprintln(stderr, err)
			note(1)
		}
	}
	for _, c := range cc.RunCmd {
		note(runCapture(ctx, run, c.argv(), env, "/", stdout, stderr))
	}
	return code
}

// readCapped reads at most 1 MiB of a captured output file.
func readCapped(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return string(b)
}

func sortedEnv(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+m[k])
	}
	return out
}

// inputValue renders an input's value as heat-config does: strings as they
// are, anything else as JSON.
func inputValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// softwareConfig turns a deployment's config into the form RunDeployment
// takes; a structured config (a cloud-config map) is rendered as YAML.
func (d Deployment) softwareConfig() SoftwareConfig {
	cfg := SoftwareConfig{Group: d.Group, Outputs: d.Outputs}
	switch c := d.Config.(type) {
	case string:
		cfg.Config = c
	case nil:
	default:
		b, err := yaml.Marshal(c)
		if err == nil {
			cfg.Config = "#cloud-config\n" + string(b)
		}
	}
	return cfg
}

func (d Deployment) inputs() map[string]string {
	m := make(map[string]string, len(d.Inputs))
	for _, in := range d.Inputs {
		m[in.Name] = inputValue(in.Value)
	}
	return m
}

// signal sends a deployment's result to the place its deploy_* inputs name.
// It returns false with no error when the deployment asks for no signal.
func (d Deployment) signal(ctx context.Context, res DeploymentResult) (bool, error) {
	in := d.inputs()
	transport := in["deploy_signal_transport"]
	url := in["deploy_signal_id"]
	switch transport {
	case "NO_SIGNAL":
		return false, nil
	case "", "CFN_SIGNAL", "TEMP_URL_SIGNAL":
	default:
		return false, fmt.Errorf("signal transport %s is not supported by slipway node (CFN_SIGNAL, TEMP_URL_SIGNAL and NO_SIGNAL are)", transport)
	}
	if url == "" {
		return false, nil
	}
	body, err := res.signalBody()
	if err != nil {
		return false, fmt.Errorf("encode signal: %w", err)
	}
	method := in["deploy_signal_verb"]
	if method == "" {
		method = http.MethodPost
		if transport == "TEMP_URL_SIGNAL" {
			method = http.MethodPut
		}
	}
	ep := Endpoint{URL: url, Method: method}
	if err := ep.send(ctx, body); err != nil {
		return false, err
	}
	return true, nil
}

// safeID makes a deployment id usable as a file name.
func safeID(id string) string {
	return regexp.MustCompile(`[^A-Za-z0-9._-]`).ReplaceAllString(id, "_")
}

// poller runs the deployments listed at a metadata URL, each once: a
// deployment's id changes with every change of its configuration or
// inputs, so a new id is new work. The ids already run are kept under
// stateDir/deployments, which survives reboots.
type poller struct {
	src      DeploymentSource
	run      runner
	root     string
	stateDir string
	// kernelHostname lets a cloud-config deployment set the kernel's
	// hostname (inside a machine's UTS namespace).
	kernelHostname bool
	log            *slog.Logger
	// report is called with each deployment's result.
	report func(DeploymentStatus)
}

// PollDeployments polls src.MetadataURL every src.Interval until ctx ends,
// and runs with RunDeployment every deployment it has not run before,
// in list order, signalling each result as the deployment's deploy_*
// inputs say (CFN_SIGNAL or TEMP_URL_SIGNAL: an HTTP request to
// deploy_signal_id with heat-config's JSON body). Completed ids are
// recorded under stateDir. It is the loop for a process that is not a
// machine's agent; the agent runs the same loop, with its own reaper, for a
// bootstrap document's deployments section or os-collect-config's
// [request] metadata_url.
func PollDeployments(ctx context.Context, src DeploymentSource, stateDir string, log *slog.Logger) error {
	p := &poller{src: src, run: plainRunner{}, root: "/", stateDir: stateDir, log: log}
	return p.loop(ctx)
}

func (p *poller) loop(ctx context.Context) error {
	client, err := endpointClient(p.src.CACert)
	if err != nil {
		return fmt.Errorf("poll deployments: %w", err)
	}
	defer client.CloseIdleConnections()
	interval := p.src.Interval.or(10 * time.Second)
	for {
		if err := p.once(ctx, client); err != nil && ctx.Err() == nil {
			p.log.Warn("poll deployments", "url", p.src.MetadataURL, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

func (p *poller) once(ctx context.Context, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.src.MetadataURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range p.src.Headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("metadata: %s", resp.Status)
	}
	var md struct {
		Deployments []Deployment `json:"deployments"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&md); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	doneDir := filepath.Join(p.stateDir, "deployments")
	if err := os.MkdirAll(doneDir, 0o700); err != nil {
		return err
	}
	for _, d := range md.Deployments {
		if d.ID == "" {
			continue
		}
		record := filepath.Join(doneDir, safeID(d.ID)+".json")
		if _, err := os.Stat(record); err == nil {
			continue
		}
		st := p.deploy(ctx, d)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b, _ := json.Marshal(st)
		if err := WriteFileAtomic(record, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (p *poller) deploy(ctx context.Context, d Deployment) DeploymentStatus {
	log := p.log.With("deployment", d.ID, "name", d.Name, "group", d.Group)
	log.Info("deployment started")
	dir, err := os.MkdirTemp(filepath.Join(p.stateDir, "deployments"), "run-")
	res := DeploymentResult{StatusCode: 1}
	if err != nil {
		res.Stderr = err.Error()
	} else {
		res = runDeployment(ctx, p.run, p.root, dir, p.kernelHostname, d.softwareConfig(), d.inputs())
		_ = os.RemoveAll(dir)
	}
	st := DeploymentStatus{ID: d.ID, Name: d.Name, StatusCode: res.StatusCode}
	signalled, err := d.signal(ctx, res)
	st.Signalled = signalled
	if err != nil {
		st.Error = err.Error()
		log.Error("deployment signal", "err", err)
	}
	log.Info("deployment finished", "status_code", res.StatusCode, "signalled", signalled)
	if p.report != nil {
		p.report(st)
	}
	return st
}

// errNoMetadataURL is returned when os-collect-config's file names no
// metadata URL.
var errNoMetadataURL = errors.New("no [request] metadata_url")

// osCollectConfigSource reads the metadata URL from os-collect-config's
// configuration, which Heat writes with SOFTWARE_CONFIG user_data.
func osCollectConfigSource(path string) (DeploymentSource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return DeploymentSource{}, err
	}
	section := ""
	src := DeploymentSource{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "request" {
			continue
		}
		switch strings.TrimSpace(k) {
		case "metadata_url":
			src.MetadataURL = strings.TrimSpace(v)
		case "polling_interval":
			if d, err := time.ParseDuration(strings.TrimSpace(v) + "s"); err == nil {
				src.Interval = Duration(d)
			}
		}
	}
	if src.MetadataURL == "" {
		return src, errNoMetadataURL
	}
	return src, nil
}
