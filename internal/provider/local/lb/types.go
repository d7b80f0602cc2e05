package lb

import "net/netip"

// Provisioning statuses, as Octavia names them.
const (
	ProvisioningActive = "ACTIVE"
	ProvisioningError  = "ERROR"
)

// Operating statuses, as Octavia names them.
const (
	OperatingOnline    = "ONLINE"
	OperatingDegraded  = "DEGRADED"
	OperatingError     = "ERROR"
	OperatingOffline   = "OFFLINE"
	OperatingDraining  = "DRAINING"
	OperatingNoMonitor = "NO_MONITOR"
)

// Protocols of listeners and pools.
const (
	ProtocolTCP  = "TCP"
	ProtocolHTTP = "HTTP"
)

// Pool algorithms.
const (
	RoundRobin       = "ROUND_ROBIN"
	LeastConnections = "LEAST_CONNECTIONS"
	SourceIP         = "SOURCE_IP"
)

// Health monitor types.
const (
	MonitorTCP   = "TCP"
	MonitorHTTP  = "HTTP"
	MonitorHTTPS = "HTTPS"
	MonitorPing  = "PING"
)

// LoadBalancer is an Octavia load balancer with everything under it. It is
// also the record the Manager stores.
type LoadBalancer struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	ProjectID   string `json:"project_id,omitempty"`
	VIPSubnetID string `json:"vip_subnet_id"`
	// VIPAddress is allocated from the subnet when zero.
	VIPAddress netip.Addr `json:"vip_address,omitzero"`
	// VIPPortID defaults to "vip-" + ID; a floating IP attaches to it.
	VIPPortID string     `json:"vip_port_id,omitempty"`
	Listeners []Listener `json:"listeners,omitempty"`
	Pools     []Pool     `json:"pools,omitempty"`
	// ProvisioningStatus is ACTIVE, or ERROR with LastError when the last
	// change could not be applied.
	ProvisioningStatus string `json:"provisioning_status,omitempty"`
	LastError          string `json:"last_error,omitempty"`
	// OperatingStatus is read from HAProxy. Output only.
	OperatingStatus string `json:"-"`
}

// Listener accepts connections on the VIP.
type Listener struct {
	ID             string `json:"id"`
	Name           string `json:"name,omitempty"`
	LoadBalancerID string `json:"loadbalancer_id"`
	Protocol       string `json:"protocol"`
	ProtocolPort   int    `json:"protocol_port"`
	DefaultPoolID  string `json:"default_pool_id,omitempty"`
	// ConnectionLimit caps concurrent connections; 0 or -1 is no cap.
	ConnectionLimit int `json:"connection_limit,omitempty"`
	// OperatingStatus is read from HAProxy. Output only.
	OperatingStatus string `json:"-"`
}

// Pool is a set of members that a listener balances over.
type Pool struct {
	ID             string `json:"id"`
	Name           string `json:"name,omitempty"`
	LoadBalancerID string `json:"loadbalancer_id"`
	// ListenerID, when set, makes the pool that listener's default pool.
	ListenerID    string         `json:"listener_id,omitempty"`
	Protocol      string         `json:"protocol"`
	LBAlgorithm   string         `json:"lb_algorithm"`
	Members       []Member       `json:"members,omitempty"`
	HealthMonitor *HealthMonitor `json:"healthmonitor,omitempty"`
	// OperatingStatus is read from HAProxy. Output only.
	OperatingStatus string `json:"-"`
}

// Member is one backend address of a pool.
type Member struct {
	ID           string     `json:"id"`
	Name         string     `json:"name,omitempty"`
	PoolID       string     `json:"pool_id"`
	Address      netip.Addr `json:"address"`
	ProtocolPort int        `json:"protocol_port"`
	// Weight is 1 when nil; 0 takes no new connections.
	Weight *int `json:"weight,omitempty"`
	// AdminStateDown takes the member out of rotation (admin_state_up=false).
	AdminStateDown bool `json:"admin_state_down,omitempty"`
	// OperatingStatus is read from HAProxy. Output only.
	OperatingStatus string `json:"-"`
}

// HealthMonitor checks a pool's members. Delay and Timeout are seconds.
type HealthMonitor struct {
	ID         string `json:"id"`
	Name       string `json:"name,omitempty"`
	PoolID     string `json:"pool_id"`
	Type       string `json:"type"`
	Delay      int    `json:"delay"`
	Timeout    int    `json:"timeout"`
	MaxRetries int    `json:"max_retries"`
	// MaxRetriesDown defaults to 3, as in Octavia.
	MaxRetriesDown int `json:"max_retries_down,omitempty"`
	// HTTPMethod (GET), URLPath (/) and ExpectedCodes (200) apply to HTTP
	// and HTTPS monitors. ExpectedCodes is "200", "200,202" or "200-204".
	HTTPMethod    string `json:"http_method,omitempty"`
	URLPath       string `json:"url_path,omitempty"`
	ExpectedCodes string `json:"expected_codes,omitempty"`
}
