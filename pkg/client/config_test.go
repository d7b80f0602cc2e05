package client

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// servedClouds is what `slipway serve` writes.
const servedClouds = `clouds:
  slipway:
    auth:
      auth_url: http://127.0.0.1:9511/identity/v3
      username: admin
      password: s3cret
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
`

const userClouds = `clouds:
  prod:
    auth:
      auth_url: https://keystone.example.com:5000/v3
      application_credential_id: ac-id
      application_credential_secret: ac-secret
    region_name: RegionTwo
    verify: false
`

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	served := writeFile(t, dir, "data/clouds.yaml", servedClouds)
	user := writeFile(t, dir, "home/.config/openstack/clouds.yaml", userClouds)
	broken := writeFile(t, dir, "broken/clouds.yaml", "clouds: [")
	missing := filepath.Join(dir, "nope", "clouds.yaml")

	fromServe := &Config{
		AuthURL: "http://127.0.0.1:9511/identity/v3", Username: "admin", Password: "s3cret",
		ProjectName: "admin", UserDomainName: "Default", ProjectDomainName: "Default", Region: "RegionOne",
	}
	prod := &Config{
		AuthURL: "https://keystone.example.com:5000/v3", ApplicationCredentialID: "ac-id",
		ApplicationCredentialSecret: "ac-secret", Region: "RegionTwo", Insecure: true,
	}
	osEnv := map[string]string{
		"OS_AUTH_URL": "http://env/identity/v3", "OS_USERNAME": "alice", "OS_PASSWORD": "pw",
		"OS_PROJECT_NAME": "demo", "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
		"OS_REGION_NAME": "R", "OS_INSECURE": "true",
	}
	fromEnv := &Config{
		AuthURL: "http://env/identity/v3", Username: "alice", Password: "pw", ProjectName: "demo",
		UserDomainName: "Default", ProjectDomainName: "Default", Region: "R", Insecure: true,
	}
	withCloud := func(m map[string]string, cloud string) map[string]string {
		out := map[string]string{"OS_CLOUD": cloud}
		for k, v := range m {
			out[k] = v
		}
		return out
	}

	tests := []struct {
		name    string
		cloud   string
		env     map[string]string
		files   []string
		want    *Config
		wantErr string
	}{
		{name: "served default cloud", files: []string{missing, user, served}, want: fromServe},
		{name: "environment wins without OS_CLOUD", env: osEnv, files: []string{served}, want: fromEnv},
		{name: "OS_CLOUD beats OS_AUTH_URL", env: withCloud(osEnv, "prod"), files: []string{user, served}, want: prod},
		{name: "explicit cloud beats environment", cloud: "prod", env: osEnv, files: []string{served, user}, want: prod},
		{name: "first file defining the cloud wins", cloud: "slipway", files: []string{user, served, broken}, want: fromServe},
		{name: "nothing found", files: []string{missing, user}, wantErr: "start `slipway serve`"},
		{name: "unknown cloud", cloud: "nope", files: []string{served}, wantErr: `cloud "nope" is not defined`},
		{name: "broken file is reported", files: []string{broken}, wantErr: "parse " + broken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := configLoader{getenv: env(tc.env), files: tc.files}.load(tc.cloud)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != *tc.want {
				t.Errorf("config = %+v\nwant     %+v", *got, *tc.want)
			}
		})
	}
}

func TestCloudsFilesOrder(t *testing.T) {
	t.Parallel()
	got := cloudsFiles(env(map[string]string{"OS_CLIENT_CONFIG_FILE": "/x/my.yaml"}), "/home/u", "/data")
	want := []string{"/x/my.yaml", "clouds.yaml", "/home/u/.config/openstack/clouds.yaml", "/etc/openstack/clouds.yaml", "/data/clouds.yaml"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files = %v, want %v", got, want)
	}
}

func TestDataDir(t *testing.T) {
	t.Parallel()
	home := func() (string, error) { return "/home/u", nil }
	noHome := func() (string, error) { return "", errors.New("no home") }
	tests := []struct {
		name string
		euid int
		env  map[string]string
		home func() (string, error)
		want string
	}{
		{"root", 0, map[string]string{"XDG_DATA_HOME": "/xdg"}, home, "/var/lib/slipway"},
		{"xdg", 1000, map[string]string{"XDG_DATA_HOME": "/xdg"}, home, "/xdg/slipway"},
		{"home", 1000, nil, home, "/home/u/.local/share/slipway"},
		{"no home", 1000, nil, noHome, filepath.Join(os.TempDir(), "slipway-1000")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := dataDir(tc.euid, env(tc.env), tc.home); got != tc.want {
				t.Errorf("dataDir = %q, want %q", got, tc.want)
			}
		})
	}
}
