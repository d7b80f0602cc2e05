package node

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunDeployment(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "written")
	tests := []struct {
		name         string
		cfg          SoftwareConfig
		inputs       map[string]string
		stdout, errs string
		code         int
	}{
		{
			name: "script with inputs as environment",
			cfg: SoftwareConfig{Group: "script",
				Config: "#!/bin/sh\necho \"hello $name\"\necho oops >&2\nexit 3\n"},
			inputs: map[string]string{"name": "world"},
			stdout: "hello world\n", errs: "oops\n", code: 3,
		},
		{
			name:   "script without #! runs with sh",
			cfg:    SoftwareConfig{Group: "script", Config: "echo plain"},
			stdout: "plain\n",
		},
		{
			name: "ungrouped cloud-config",
			cfg: SoftwareConfig{Group: "ungrouped",
				Config: "#cloud-config\nwrite_files: [{path: " + out + ", content: from-config}]\nruncmd: [\"cat " + out + "\"]\n"},
			stdout: "from-config",
		},
		{
			name:   "ungrouped script",
			cfg:    SoftwareConfig{Group: "Heat::Ungrouped", Config: "#!/bin/sh\necho $deploy_action"},
			inputs: map[string]string{"deploy_action": "CREATE"},
			stdout: "CREATE\n",
		},
		{
			name: "unsupported group",
			cfg:  SoftwareConfig{Group: "puppet", Config: "class {}"},
			errs: `deployment group "puppet" is not supported by slipway node (script, ungrouped and cloud-config are)`,
			code: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := RunDeployment(t.Context(), tc.cfg, tc.inputs)
			if stdout != tc.stdout || stderr != tc.errs || code != tc.code {
				t.Errorf("RunDeployment = (%q, %q, %d), want (%q, %q, %d)", stdout, stderr, code, tc.stdout, tc.errs, tc.code)
			}
		})
	}
}

func TestRunDeploymentOutputs(t *testing.T) {
	t.Parallel()
	cfg := SoftwareConfig{Group: "script",
		Config: "#!/bin/sh\nprintf 'value-%s' \"$x\" > \"$heat_outputs_path.result\"\n" +
			"[ -z \"$fail\" ] || echo broken > \"$heat_outputs_path.errors\"\n",
		Outputs: []DeploymentOutput{{Name: "result"}, {Name: "errors", ErrorOutput: true}}}
	res := runDeployment(t.Context(), plainRunner{}, "/", t.TempDir(), false, cfg, map[string]string{"x": "1"})
	if res.StatusCode != 0 || res.Outputs["result"] != "value-1" {
		t.Fatalf("result = %+v", res)
	}
	res = runDeployment(t.Context(), plainRunner{}, "/", t.TempDir(), false, cfg, map[string]string{"x": "2", "fail": "y"})
	if res.StatusCode != 1 || res.Outputs["errors"] != "broken\n" {
		t.Fatalf("a non-empty error output did not fail the deployment: %+v", res)
	}
}

// TestPollDeployments serves Heat metadata with two deployments from a
// loopback server and checks that each runs once and that the signalling
// one signals heat-config's body.
func TestPollDeployments(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		signals []map[string]any
		methods []string
		polls   int
	)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	metadata := map[string]any{
		"os-collect-config": map[string]any{},
		"deployments": []any{
			map[string]any{
				"id": "d-1", "name": "configure", "group": "script",
				"config":  "#!/bin/sh\necho \"configured $role\"\necho -n ok > $heat_outputs_path.state\n",
				"outputs": []any{map[string]any{"name": "state"}},
				"inputs": []any{
					map[string]any{"name": "role", "value": "master"},
					map[string]any{"name": "deploy_signal_id", "value": srv.URL + "/signal/d-1"},
					map[string]any{"name": "deploy_signal_transport", "value": "TEMP_URL_SIGNAL"},
				},
			},
			map[string]any{
				"id": "d-2", "group": "script", "config": "#!/bin/sh\nexit 0\n",
				"inputs": []any{map[string]any{"name": "deploy_signal_transport", "value": "NO_SIGNAL"}},
			},
		},
	}
	mux.HandleFunc("GET /metadata", func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		polls++
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(metadata)
	})
	mux.HandleFunc("/signal/d-1", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		mu.Lock()
		signals = append(signals, body)
		methods = append(methods, r.Method)
		mu.Unlock()
	})
	state := t.TempDir()
	var reports []DeploymentStatus
	p := &poller{
		src: DeploymentSource{MetadataURL: srv.URL + "/metadata", Interval: Duration(20 * time.Millisecond)},
		run: plainRunner{}, root: "/", stateDir: state, log: quietLog(),
		report: func(d DeploymentStatus) { mu.Lock(); reports = append(reports, d); mu.Unlock() },
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = p.loop(ctx); close(done) }()
	var seen int
	waitFor(t, 10*time.Second, "both deployments", func() bool {
		mu.Lock()
		defer mu.Unlock()
		seen = polls
		return len(reports) == 2
	})
	waitFor(t, 10*time.Second, "three more polls", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return polls >= seen+3
	})
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(signals) != 1 || methods[0] != http.MethodPut {
		t.Fatalf("signals = %v %v, want one PUT", signals, methods)
	}
	s := signals[0]
	if s["deploy_stdout"] != "configured master\n" || s["deploy_status_code"] != float64(0) || s["state"] != "ok" {
		t.Errorf("signal body = %v", s)
	}
	if len(reports) != 2 || !reports[0].Signalled || reports[1].Signalled {
		t.Errorf("reports = %+v", reports)
	}
	for _, id := range []string{"d-1", "d-2"} {
		if _, err := os.Stat(filepath.Join(state, "deployments", id+".json")); err != nil {
			t.Errorf("deployment %s not recorded: %v", id, err)
		}
	}
}

func TestOSCollectConfigSource(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "os-collect-config.conf")
	conf := "[DEFAULT]\ncommand = os-refresh-config\n\n[request]\nmetadata_url = http://10.0.0.1/md\npolling_interval = 5\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := osCollectConfigSource(path)
	if err != nil {
		t.Fatal(err)
	}
	if src.MetadataURL != "http://10.0.0.1/md" || time.Duration(src.Interval) != 5*time.Second {
		t.Errorf("source = %+v", src)
	}
	if err := os.WriteFile(path, []byte("[heat]\nauth_url = x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := osCollectConfigSource(path); err == nil || !strings.Contains(err.Error(), "metadata_url") {
		t.Errorf("err = %v", err)
	}
}
