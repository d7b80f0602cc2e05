package cli

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client/clienttest"
)

func TestCommandTree(t *testing.T) {
	t.Parallel()
	root := NewRootCommand(IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	want := map[string][]string{
		"template":  {"create", "delete", "list", "show", "update"},
		"cluster":   {"config", "create", "delete", "list", "resize", "show", "update", "upgrade"},
		"nodegroup": {"create", "delete", "list", "show", "update"},
		"ca":        {"rotate", "show", "sign"},
		"quota":     {"create", "delete", "list", "show", "update"},
		"stats":     nil,
		"server":    {"log", "show"},
	}
	for noun, verbs := range want {
		cmd, _, err := root.Find([]string{noun})
		if err != nil || cmd.Name() != noun {
			t.Errorf("no %q command", noun)
			continue
		}
		var got []string
		for _, c := range cmd.Commands() {
			got = append(got, c.Name())
		}
		slices.Sort(got)
		if !slices.Equal(got, verbs) {
			t.Errorf("%s verbs = %v, want %v", noun, got, verbs)
		}
	}
	for _, flag := range []string{"os-cloud", "output"} {
		if root.PersistentFlags().Lookup(flag) == nil {
			t.Errorf("no persistent --%s flag", flag)
		}
	}
}

func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRootCommand(IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	root.SetArgs(args)
	err = root.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

// TestCredentials drives the real root command, which loads credentials
// like the openstack CLI. It sets environment variables, so it is not
// parallel.
func TestCredentials(t *testing.T) {
	srv := clienttest.NewServer(t)
	srv.Handle("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, v1.Stats{Clusters: 1, Nodes: 3})
	})
	srv.Handle("GET /clusters/{id}", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteError(w, http.StatusNotFound, "Cluster "+r.PathValue("id")+" could not be found.")
	})
	dir := t.TempDir()
	clouds := filepath.Join(dir, "clouds.yaml")
	yaml := "clouds:\n  test:\n    auth:\n      auth_url: " + srv.AuthURL() + "\n      username: " + clienttest.Username +
		"\n      password: " + clienttest.Password + "\n      project_name: " + clienttest.ProjectName + "\n"
	if err := os.WriteFile(clouds, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"OS_CLOUD", "OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_TOKEN",
		"OS_APPLICATION_CREDENTIAL_ID", "OS_APPLICATION_CREDENTIAL_SECRET", "OS_REGION_NAME"} {
		t.Setenv(k, "")
	}
	t.Setenv("OS_CLIENT_CONFIG_FILE", clouds)
	t.Setenv("XDG_DATA_HOME", dir)
	t.Setenv("HOME", dir)
	t.Chdir(dir)

	t.Run("environment", func(t *testing.T) {
		t.Setenv("OS_AUTH_URL", srv.AuthURL())
		t.Setenv("OS_USERNAME", clienttest.Username)
		t.Setenv("OS_PASSWORD", clienttest.Password)
		t.Setenv("OS_PROJECT_NAME", clienttest.ProjectName)
		out, stderr, err := run(t, "stats")
		if err != nil || out != "CLUSTERS  NODES\n1         3\n" {
			t.Errorf("stats: %v\n%s%s", err, out, stderr)
		}
	})
	t.Run("clouds.yaml", func(t *testing.T) {
		out, stderr, err := run(t, "stats", "--os-cloud", "test", "-o", "json")
		if err != nil || out != "{\n  \"clusters\": 1,\n  \"nodes\": 3\n}\n" {
			t.Errorf("stats: %v\n%s%s", err, out, stderr)
		}
	})
	t.Run("API error", func(t *testing.T) {
		_, stderr, err := run(t, "cluster", "show", "nope", "--os-cloud", "test")
		want := "Error: Cluster nope could not be found. (HTTP 404, request " + clienttest.RequestID + ")\n"
		if err == nil || stderr != want {
			t.Errorf("stderr = %q, want %q", stderr, want)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		// As root the data directory is /var/lib/slipway, which may hold a
		// real clouds.yaml, so ask for a cloud that no file defines.
		_, stderr, err := run(t, "cluster", "list", "--os-cloud", "no-such-cloud")
		if err == nil || !strings.HasPrefix(stderr, `Error: no credentials: cloud "no-such-cloud" is not defined`) || !strings.Contains(stderr, "start `slipway serve`") {
			t.Errorf("stderr = %q", stderr)
		}
	})
}
