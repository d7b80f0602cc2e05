package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// CloudName is the cloud that clouds.yaml names.
const CloudName = "slipway"

type cloudsFile struct {
	Clouds map[string]cloudEntry `json:"clouds"`
}

type cloudEntry struct {
	Auth               cloudAuth `json:"auth"`
	RegionName         string    `json:"region_name"`
	IdentityAPIVersion int       `json:"identity_api_version"`
	Interface          string    `json:"interface"`
}

type cloudAuth struct {
	AuthURL           string `json:"auth_url"`
	Username          string `json:"username"`
	Password          string `json:"password"`
	ProjectName       string `json:"project_name"`
	UserDomainName    string `json:"user_domain_name"`
	ProjectDomainName string `json:"project_domain_name"`
}

// WriteClientConfig writes DIR/clouds.yaml and DIR/openrc for the admin
// user. The password is the one bootstrap generated, or, on later starts,
// the one already in clouds.yaml; only the auth URL is refreshed then. It
// returns false when no password is known (an admin created elsewhere).
func WriteClientConfig(dir, authURL, password string) (bool, error) {
	cloudsPath := filepath.Join(dir, "clouds.yaml")
	if password == "" {
		b, err := os.ReadFile(cloudsPath)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		var cf cloudsFile
		if err := yaml.Unmarshal(b, &cf); err != nil {
			return false, fmt.Errorf("read %s: %w", cloudsPath, err)
		}
		password = cf.Clouds[CloudName].Auth.Password
		if password == "" {
			return false, nil
		}
	}
	cf := cloudsFile{Clouds: map[string]cloudEntry{CloudName: {
		Auth: cloudAuth{
			AuthURL: authURL, Username: "admin", Password: password, ProjectName: "admin",
			UserDomainName: "Default", ProjectDomainName: "Default",
		},
		RegionName: "RegionOne", IdentityAPIVersion: 3, Interface: "public",
	}}}
	b, err := yaml.Marshal(cf)
	if err != nil {
		return false, err
	}
	if err := writeFileAtomic(cloudsPath, b); err != nil {
		return false, err
	}
	openrc := fmt.Sprintf(`# Slipway admin credentials: source this file to use the openstack CLI.
export OS_AUTH_URL=%s
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=admin
export OS_PASSWORD=%s
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=RegionOne
export OS_INTERFACE=public
`, authURL, shellQuote(password))
	return true, writeFileAtomic(filepath.Join(dir, "openrc"), []byte(openrc))
}

func shellQuote(s string) string {
	out := "'"
	for _, r := range s {
		if r == '\'' {
			out += `'\''`
		} else {
			out += string(r)
		}
	}
	return out + "'"
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
