package lb

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/slipway/slipway/internal/model"
)

// configParams are the per-host settings of a rendered configuration.
type configParams struct {
	// dir holds the stats socket.
	dir string
	// hardStopAfter bounds how long old workers keep serving the
	// connections they had at a reload, in seconds; 0 is unbounded.
	hardStopAfter int
	// maxConn is the global connection limit.
	maxConn int
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.:-]`)

// proxyName makes an id usable as an HAProxy proxy or server name.
func proxyName(id string) string { return unsafeName.ReplaceAllString(id, "_") }

func mode(protocol string) string {
	if protocol == ProtocolHTTP {
		return "http"
	}
	return "tcp"
}

func balance(alg string) (string, error) {
	switch alg {
	case "", RoundRobin:
		return "roundrobin", nil
	case LeastConnections:
		return "leastconn", nil
	case SourceIP:
		return "source", nil
	}
	return "", model.Invalidf("lb_algorithm %s is not supported; use ROUND_ROBIN, LEAST_CONNECTIONS or SOURCE_IP.", alg)
}

// expectRegex turns Octavia's expected_codes ("200", "200,202",
// "200-204") into an anchored regular expression for http-check.
func expectRegex(codes string) (string, error) {
	if codes == "" {
		codes = "200"
	}
	var alts []string
	for _, part := range strings.Split(codes, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 100 || a > 599 {
			return "", model.Invalidf("expected_codes %q is not a list or range of HTTP status codes.", codes)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b > 599 {
				return "", model.Invalidf("expected_codes %q is not a list or range of HTTP status codes.", codes)
			}
		}
		for c := a; c <= b; c++ {
			alts = append(alts, strconv.Itoa(c))
		}
	}
	return "^(" + strings.Join(alts, "|") + ")$", nil
}

// renderConfig returns HAProxy's configuration for a load balancer. It is a
// pure function of its arguments; golden files pin its output.
func renderConfig(lb *LoadBalancer, p configParams) (string, error) {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# Rendered by Slipway for load balancer %s. Do not edit: every change is overwritten.", lb.ID)
	w("global")
	w("    maxconn %d", p.maxConn)
	w("    stats socket %s mode 600 level admin expose-fd listeners", filepath.Join(p.dir, statsSocket))
	if p.hardStopAfter > 0 {
		w("    hard-stop-after %ds", p.hardStopAfter)
	}
	w("")
	w("defaults")
	w("    retries 3")
	w("    option redispatch")
	w("    timeout connect 5s")
	w("    timeout client 50s")
	w("    timeout server 50s")
	pools := map[string]*Pool{}
	for i := range lb.Pools {
		pools[lb.Pools[i].ID] = &lb.Pools[i]
	}
	used := map[string]bool{}
	for _, l := range lb.Listeners {
		if l.Protocol != ProtocolTCP && l.Protocol != ProtocolHTTP {
			return "", model.Invalidf("Listener protocol %s is not supported; use TCP or HTTP.", l.Protocol)
		}
		w("")
		w("frontend %s", proxyName(l.ID))
		w("    mode %s", mode(l.Protocol))
		w("    bind %s:%d", lb.VIPAddress, l.ProtocolPort)
		if l.ConnectionLimit > 0 {
			w("    maxconn %d", l.ConnectionLimit)
		}
		if l.DefaultPoolID != "" {
			pool := pools[l.DefaultPoolID]
			if pool == nil {
				return "", model.NotFoundf("Pool %s could not be found.", l.DefaultPoolID)
			}
			if mode(pool.Protocol) != mode(l.Protocol) {
				return "", model.Invalidf("Listener protocol %s and pool protocol %s are not compatible.", l.Protocol, pool.Protocol)
			}
			w("    default_backend %s", proxyName(pool.ID))
			used[pool.ID] = true
		}
	}
	for _, pool := range lb.Pools {
		if !used[pool.ID] {
			continue
		}
		alg, err := balance(pool.LBAlgorithm)
		if err != nil {
			return "", err
		}
		w("")
		w("backend %s", proxyName(pool.ID))
		w("    mode %s", mode(pool.Protocol))
		w("    balance %s", alg)
		check := ""
		if hm := pool.HealthMonitor; hm != nil {
			c, err := renderMonitor(&b, hm)
			if err != nil {
				return "", err
			}
			check = c
		}
		for _, m := range pool.Members {
			weight := 1
			if m.Weight != nil {
				weight = *m.Weight
			}
			line := fmt.Sprintf("    server %s %s:%d weight %d", proxyName(m.ID), m.Address, m.ProtocolPort, weight)
			if check != "" {
				line += " " + check
			}
			if m.AdminStateDown {
				line += " disabled"
			}
			w("%s", line)
		}
	}
	return b.String(), nil
}

// renderMonitor writes a backend's health check options and returns what
// each server line needs.
func renderMonitor(b *strings.Builder, hm *HealthMonitor) (string, error) {
	if hm.Delay <= 0 || hm.Timeout <= 0 || hm.MaxRetries < 1 || hm.MaxRetries > 10 {
		return "", model.Invalidf("Health monitor %s needs delay > 0, timeout > 0 and max_retries in 1..10.", hm.ID)
	}
	down := hm.MaxRetriesDown
	if down == 0 {
		down = 3
	}
	fmt.Fprintf(b, "    timeout check %ds\n", hm.Timeout)
	check := fmt.Sprintf("check inter %ds fall %d rise %d", hm.Delay, down, hm.MaxRetries)
	switch hm.Type {
	case MonitorTCP, MonitorPing:
	case MonitorHTTP, MonitorHTTPS:
		method, path := hm.HTTPMethod, hm.URLPath
		if method == "" {
			method = "GET"
		}
		if path == "" {
			path = "/"
		}
		if strings.ContainsAny(method+path, " \t\n\r") || !strings.HasPrefix(path, "/") {
			return "", model.Invalidf("Health monitor %s: invalid http_method or url_path.", hm.ID)
		}
		re, err := expectRegex(hm.ExpectedCodes)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(b, "    option httpchk %s %s\n", method, path)
		fmt.Fprintf(b, "    http-check expect rstatus %s\n", re)
		if hm.Type == MonitorHTTPS {
			check += " check-ssl verify none"
		}
	default:
		return "", model.Invalidf("Health monitor type %s is not supported; use TCP, HTTP, HTTPS or PING.", hm.Type)
	}
	return check, nil
}
