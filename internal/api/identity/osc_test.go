package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cli runs the stock openstack CLI (python-openstackclient with
// keystoneauth1) against an env, with a clouds.yaml of its own.
type cli struct {
	t      *testing.T
	clouds string
}

func newCLI(t *testing.T, e *env, clouds map[string]map[string]any) *cli {
	t.Helper()
	if _, err := exec.LookPath("openstack"); err != nil {
		t.Fatalf("the openstack CLI is not installed (apt-get install python3-openstackclient): %v", err)
	}
	for _, c := range clouds {
		c["region_name"] = "RegionOne"
		c["identity_api_version"] = 3
		c["interface"] = "public"
		c["auth"].(map[string]any)["auth_url"] = e.base + "/v3"
	}
	b, err := json.Marshal(map[string]any{"clouds": clouds})
	if err != nil {
		t.Fatal(err)
	}
	// JSON is YAML.
	path := filepath.Join(t.TempDir(), "clouds.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return &cli{t: t, clouds: path}
}

// json runs `openstack --os-cloud cloud args… -f json` and decodes its
// output into v.
func (c *cli) json(v any, cloud string, args ...string) {
	c.t.Helper()
	out := c.run(cloud, append(args, "-f", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("openstack %s: decode %q: %v", strings.Join(args, " "), out, err)
	}
}

func (c *cli) run(cloud string, args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openstack", append([]string{"--os-cloud", cloud}, args...)...)
	cmd.Env = append(os.Environ(), "OS_CLIENT_CONFIG_FILE="+c.clouds)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("openstack %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func passwordCloud(user, password, project string) map[string]any {
	return map[string]any{"auth": map[string]any{
		"username": user, "password": password, "project_name": project,
		"user_domain_name": "Default", "project_domain_name": "Default",
	}}
}

// TestOpenstackCLIIdentity drives the identity API with the openstack CLI:
// tokens, projects, users, role assignments, the catalog and application
// credentials.
func TestOpenstackCLIIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := newCLI(t, e, map[string]map[string]any{
		"admin": passwordCloud("admin", adminPassword, "admin"),
		"alice": passwordCloud("alice", "alice-pw", "demo"),
	})

	var tok map[string]any
	c.json(&tok, "admin", "token", "issue")
	if id, _ := tok["id"].(string); !strings.HasPrefix(id, "slw_") || tok["project_id"] == "" || tok["user_id"] == "" {
		t.Fatalf("token issue: %v", tok)
	}
	var catalog []map[string]any
	c.json(&catalog, "admin", "catalog", "list")
	if len(catalog) != 3 || !strings.Contains(c.run("admin", "catalog", "show", "orchestration"), tok["project_id"].(string)) {
		t.Errorf("catalog: %v", catalog)
	}

	var project map[string]any
	c.json(&project, "admin", "project", "create", "demo", "--description", "Demo project")
	if project["name"] != "demo" || project["enabled"] != true {
		t.Fatalf("project create: %v", project)
	}
	var projects []map[string]any
	c.json(&projects, "admin", "project", "list")
	if len(projects) != 2 {
		t.Errorf("project list: %v", projects)
	}
	var user map[string]any
	c.json(&user, "admin", "user", "create", "--password", "alice-pw", "--project", "demo", "--email", "alice@example.com", "alice")
	if user["name"] != "alice" || user["default_project_id"] != project["id"] {
		t.Fatalf("user create: %v", user)
	}
	c.run("admin", "role", "add", "--user", "alice", "--project", "demo", "member")
	var assignments []map[string]any
	c.json(&assignments, "admin", "role", "assignment", "list", "--names", "--user", "alice")
	if len(assignments) != 1 || assignments[0]["Role"] != "member" || assignments[0]["User"] != "alice@Default" || assignments[0]["Project"] != "demo@Default" {
		t.Errorf("role assignment list: %v", assignments)
	}

	// Alice works in her project and creates an application credential.
	var aliceTok map[string]any
	c.json(&aliceTok, "alice", "token", "issue")
	if aliceTok["project_id"] != project["id"] || aliceTok["user_id"] != user["id"] {
		t.Errorf("alice's token: %v", aliceTok)
	}
	var ac map[string]any
	c.json(&ac, "alice", "application", "credential", "create", "ci", "--description", "CI")
	secret, _ := ac["secret"].(string)
	if secret == "" || ac["project_id"] != project["id"] || !strings.Contains(ac["roles"].(string), "member") {
		t.Fatalf("application credential create: %v", ac)
	}
	acCLI := newCLI(t, e, map[string]map[string]any{"ci": {
		"auth_type": "v3applicationcredential",
		"auth":      map[string]any{"application_credential_id": ac["id"], "application_credential_secret": secret},
	}})
	var acTok map[string]any
	acCLI.json(&acTok, "ci", "token", "issue")
	if acTok["project_id"] != project["id"] || acTok["user_id"] != user["id"] {
		t.Errorf("token of the application credential: %v", acTok)
	}

	// Reads that keystoneclient resolves by name or id.
	for _, args := range [][]string{
		{"user", "list"}, {"role", "list"}, {"domain", "list"},
		{"user", "show", "alice"}, {"project", "show", "demo"}, {"role", "show", "member"},
		{"role", "assignment", "list", "--project", "demo", "--names"},
	} {
		var v any
		c.json(&v, "admin", args...)
	}
	var acs []map[string]any
	c.json(&acs, "alice", "application", "credential", "list")
	if len(acs) != 1 || acs[0]["Name"] != "ci" {
		t.Errorf("application credential list: %v", acs)
	}
	c.run("alice", "application", "credential", "delete", "ci")
	c.run("alice", "user", "password", "set", "--original-password", "alice-pw", "--password", "alice-new")
	c2 := newCLI(t, e, map[string]map[string]any{"alice": passwordCloud("alice", "alice-new", "demo")})
	c2.json(&aliceTok, "alice", "token", "issue")

	c.run("admin", "token", "revoke", aliceTok["id"].(string))
	c.run("admin", "role", "remove", "--user", "alice", "--project", "demo", "member")
	c.run("admin", "user", "delete", "alice")
	c.run("admin", "project", "delete", "demo")
	c.json(&projects, "admin", "project", "list")
	if len(projects) != 1 {
		t.Errorf("projects after delete: %v", projects)
	}
}
