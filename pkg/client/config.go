package client

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// DefaultCloud is the cloud name used when neither a name nor OS_CLOUD is
// given. It is the entry that `slipway serve` writes to its clouds.yaml.
const DefaultCloud = "slipway"

// Config holds the credentials and connection settings of one cloud.
type Config struct {
	// AuthURL is the identity endpoint, for example
	// http://127.0.0.1:9511/identity/v3. A URL without a trailing /v3 gets
	// one appended.
	AuthURL string
	// Username and Password select password authentication.
	Username string
	Password string
	// ProjectName scopes the token; the domains default to "Default".
	ProjectName       string
	UserDomainName    string
	ProjectDomainName string
	// ApplicationCredentialID and ApplicationCredentialSecret select
	// application credential authentication, which takes precedence.
	ApplicationCredentialID     string
	ApplicationCredentialSecret string
	// Token selects token authentication when no password is given.
	Token string
	// Region restricts the catalog lookup to one region; empty means any.
	Region string
	// Insecure turns off TLS certificate verification.
	Insecure bool
}

// DefaultDataDir returns Slipway's data directory: /var/lib/slipway for
// root, otherwise $XDG_DATA_HOME/slipway or ~/.local/share/slipway.
func DefaultDataDir() string {
	return dataDir(os.Geteuid(), os.Getenv, os.UserHomeDir)
}

func dataDir(euid int, getenv func(string) string, home func() (string, error)) string {
	if euid == 0 {
		return "/var/lib/slipway"
	}
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "slipway")
	}
	if h, err := home(); err == nil && h != "" {
		return filepath.Join(h, ".local", "share", "slipway")
	}
	return filepath.Join(os.TempDir(), "slipway-"+strconv.Itoa(euid))
}

// LoadConfig finds credentials the way the openstack CLI does. The OS_*
// environment variables are used when OS_AUTH_URL is set and neither cloud
// nor OS_CLOUD is. Otherwise the named cloud (cloud, else $OS_CLOUD, else
// "slipway") is read from the first clouds.yaml that defines it, searching
// $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml,
// /etc/openstack/clouds.yaml and DefaultDataDir()/clouds.yaml in that order.
func LoadConfig(cloud string) (*Config, error) {
	home, _ := os.UserHomeDir()
	l := configLoader{
		getenv: os.Getenv,
		files:  cloudsFiles(os.Getenv, home, DefaultDataDir()),
	}
	return l.load(cloud)
}

// cloudsFiles lists the clouds.yaml candidates in search order.
func cloudsFiles(getenv func(string) string, home, dataDir string) []string {
	var files []string
	if f := getenv("OS_CLIENT_CONFIG_FILE"); f != "" {
		files = append(files, f)
	}
	files = append(files, "clouds.yaml")
	if home != "" {
		files = append(files, filepath.Join(home, ".config", "openstack", "clouds.yaml"))
	}
	files = append(files, "/etc/openstack/clouds.yaml", filepath.Join(dataDir, "clouds.yaml"))
	return files
}

// configLoader resolves a Config from an environment and candidate files.
type configLoader struct {
	getenv func(string) string
	files  []string
}

func (l configLoader) load(cloud string) (*Config, error) {
	if cloud == "" && l.getenv("OS_CLOUD") == "" && l.getenv("OS_AUTH_URL") != "" {
		return l.fromEnv(), nil
	}
	name := cloud
	if name == "" {
		name = l.getenv("OS_CLOUD")
	}
	if name == "" {
		name = DefaultCloud
	}
	var errs []error
	for _, f := range l.files {
		cfg, err := readCloud(f, name)
		switch {
		case err == nil && cfg != nil:
			return cfg, nil
		case err != nil:
			errs = append(errs, err)
		}
	}
	notFound := fmt.Errorf("no credentials: cloud %q is not defined in any clouds.yaml (searched %s) and OS_AUTH_URL is not set; start `slipway serve`, or set OS_CLOUD to a cloud in your clouds.yaml",
		name, strings.Join(l.files, ", "))
	return nil, errors.Join(append([]error{notFound}, errs...)...)
}

func (l configLoader) fromEnv() *Config {
	return &Config{
		AuthURL:                     l.getenv("OS_AUTH_URL"),
		Username:                    l.getenv("OS_USERNAME"),
		Password:                    l.getenv("OS_PASSWORD"),
		ProjectName:                 l.getenv("OS_PROJECT_NAME"),
		UserDomainName:              l.getenv("OS_USER_DOMAIN_NAME"),
		ProjectDomainName:           l.getenv("OS_PROJECT_DOMAIN_NAME"),
		ApplicationCredentialID:     l.getenv("OS_APPLICATION_CREDENTIAL_ID"),
		ApplicationCredentialSecret: l.getenv("OS_APPLICATION_CREDENTIAL_SECRET"),
		Token:                       l.getenv("OS_TOKEN"),
		Region:                      l.getenv("OS_REGION_NAME"),
		Insecure:                    parseBool(l.getenv("OS_INSECURE")),
	}
}

func parseBool(s string) bool {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	return err == nil && b
}

// cloudsYAML is the part of clouds.yaml that Slipway reads.
type cloudsYAML struct {
	Clouds map[string]cloudEntry `json:"clouds"`
}

type cloudEntry struct {
	Auth struct {
		AuthURL                     string `json:"auth_url"`
		Username                    string `json:"username"`
		Password                    string `json:"password"`
		ProjectName                 string `json:"project_name"`
		UserDomainName              string `json:"user_domain_name"`
		ProjectDomainName           string `json:"project_domain_name"`
		ApplicationCredentialID     string `json:"application_credential_id"`
		ApplicationCredentialSecret string `json:"application_credential_secret"`
		Token                       string `json:"token"`
	} `json:"auth"`
	RegionName string `json:"region_name"`
	Verify     *bool  `json:"verify"`
	Insecure   *bool  `json:"insecure"`
}

// readCloud returns the named cloud from file, nil if the file does not
// exist or does not define it, or an error if the file cannot be read.
func readCloud(file, name string) (*Config, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	var doc cloudsYAML
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	e, ok := doc.Clouds[name]
	if !ok {
		return nil, nil
	}
	a := e.Auth
	cfg := &Config{
		AuthURL:                     a.AuthURL,
		Username:                    a.Username,
		Password:                    a.Password,
		ProjectName:                 a.ProjectName,
		UserDomainName:              a.UserDomainName,
		ProjectDomainName:           a.ProjectDomainName,
		ApplicationCredentialID:     a.ApplicationCredentialID,
		ApplicationCredentialSecret: a.ApplicationCredentialSecret,
		Token:                       a.Token,
		Region:                      e.RegionName,
		Insecure:                    (e.Verify != nil && !*e.Verify) || (e.Insecure != nil && *e.Insecure),
	}
	if cfg.AuthURL == "" {
		return nil, fmt.Errorf("%s: cloud %q has no auth.auth_url", file, name)
	}
	return cfg, nil
}
