package kubernetes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/conductor"
	"github.com/slipway/slipway/internal/driver/kubernetes/netplan"
	"github.com/slipway/slipway/internal/pki"
	"github.com/slipway/slipway/internal/store"
)

// state is what the driver remembers of a cluster between operations: the
// address plan, the certificates it issued and the groups' member
// history. It holds private keys, so it is kept as one sealed secret.
type state struct {
	// Prefix starts every node name of the cluster (<name>-<uuid5>).
	Prefix string `json:"prefix"`
	// KubeTag is the Kubernetes version every node runs.
	KubeTag string `json:"kube_tag"`
	// UpgradingTo is the version an upgrade under way moves to: the nodes'
	// documents are for it, and some nodes may run it already.
	UpgradingTo string `json:"upgrading_to,omitempty"`
	// Cordoned are the workers an upgrade has cordoned and not yet
	// uncordoned, so that a resumed upgrade uncordons them.
	Cordoned []string `json:"cordoned,omitempty"`
	// Nodes is the address plan by node name.
	Nodes map[string]netplan.Assignment `json:"nodes"`
	// Groups is each nodegroup's history, by nodegroup UUID.
	Groups map[string]*groupState `json:"groups"`
	// FloatingIP is the API's floating IP once the network stage made it.
	FloatingIP string `json:"floating_ip,omitempty"`
	// Certs is the cluster's certificate table.
	Certs *pki.ClusterCerts `json:"certs,omitempty"`
	// CACert is the Kubernetes CA certificate, for admin clients.
	CACert []byte `json:"ca_cert,omitempty"`
	// Tokens are the nodes' include tokens, by node name: each names the
	// sealed secret that holds the node's document.
	Tokens map[string]string `json:"tokens,omitempty"`
	// Addons records the Kubernetes version the addons were applied for.
	Addons string `json:"addons,omitempty"`
}

// groupState is one nodegroup's ResourceGroup.
type groupState struct {
	// Resource is the group's resource name in the cluster template.
	Resource string `json:"resource"`
	// NamePrefix starts its nodes' names; the member index ends them.
	NamePrefix string `json:"name_prefix"`
	// Members are the member indexes the last applied stack has.
	Members []string `json:"members"`
	// Removed are member indexes removed for good.
	Removed []string `json:"removed,omitempty"`
	// Servers maps member indexes to server ids, from the stack.
	Servers map[string]string `json:"servers,omitempty"`
}

func stateSecret(clusterID string) string {
	return conductor.ClusterSecretPrefix(clusterID) + "kubernetes/state"
}

func loadState(ctx context.Context, st store.Store, clusterID string) (*state, error) {
	data, err := st.GetSecret(ctx, stateSecret(clusterID))
	if errors.Is(err, store.ErrNotFound) {
		return &state{Nodes: map[string]netplan.Assignment{}, Groups: map[string]*groupState{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load the driver state of cluster %s: %w", clusterID, err)
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decode the driver state of cluster %s: %w", clusterID, err)
	}
	if s.Nodes == nil {
		s.Nodes = map[string]netplan.Assignment{}
	}
	if s.Groups == nil {
		s.Groups = map[string]*groupState{}
	}
	return &s, nil
}

func saveState(ctx context.Context, st store.Store, clusterID string, s *state) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode the driver state: %w", err)
	}
	if err := st.InTx(ctx, func(tx store.Writer) error {
		return tx.PutSecret(ctx, stateSecret(clusterID), data)
	}); err != nil {
		return fmt.Errorf("save the driver state of cluster %s: %w", clusterID, err)
	}
	return nil
}

// loadCAs loads the cluster's CAs, which the API made at create.
func loadCAs(ctx context.Context, st store.Store, clusterID string) (*pki.ClusterCAs, error) {
	pems := map[string]pki.KeyPairPEM{}
	for _, t := range pki.CATypes() {
		crt, err := st.GetSecret(ctx, conductor.CASecretName(clusterID, t, "crt"))
		if err != nil {
			return nil, fmt.Errorf("load the %s CA of cluster %s: %w", t, clusterID, err)
		}
		key, err := st.GetSecret(ctx, conductor.CASecretName(clusterID, t, "key"))
		if err != nil {
			return nil, fmt.Errorf("load the %s CA of cluster %s: %w", t, clusterID, err)
		}
		pems[t] = pki.KeyPairPEM{CertPEM: crt, KeyPEM: key}
	}
	return pki.LoadClusterCAs(pems)
}

// includeToken returns the node's include token, making one the first
// time: 32 random bytes in hex.
func (s *state) includeToken(node string) (string, error) {
	if t, ok := s.Tokens[node]; ok {
		return t, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	if s.Tokens == nil {
		s.Tokens = map[string]string{}
	}
	s.Tokens[node] = hex.EncodeToString(b)
	return s.Tokens[node], nil
}
