package magnum

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/netip"
	"regexp"
	"strings"

	"github.com/slipway/slipway/internal/model"
)

var greek = []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
	"kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
	"chi", "psi", "omega"}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0
	}
	return int(v.Int64())
}

// generateName makes a name the way Magnum does: <greek>-<n>-<kind>.
func generateName(kind string) string {
	return fmt.Sprintf("%s-%d-%s", greek[randInt(len(greek))], randInt(24)+1, kind)
}

var clusterNamePattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.-]*$`)

func validateClusterName(name string) error {
	if len(name) > 242 || !clusterNamePattern.MatchString(name) {
		return model.Invalidf("Cluster name %q is invalid: it must start with a letter, contain only letters, digits, '_', '.' and '-', and be at most 242 characters.", name)
	}
	return nil
}

func validateLength(field, v string, max int) error {
	if len(v) < 1 || len(v) > max {
		return model.Invalidf("Invalid input for field/attribute %s. Value: %q. It must be 1 to %d characters.", field, v, max)
	}
	return nil
}

func validateDNS(v string) error {
	for _, s := range strings.Split(v, ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || !a.Is4() {
			return model.Invalidf("Invalid input for field/attribute dns_nameserver. Value: %q. It must be a comma-separated list of IPv4 addresses.", v)
		}
	}
	return nil
}
