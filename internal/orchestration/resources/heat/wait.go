package heat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
)

// Wait-condition signal statuses.
const (
	statusSuccess = "SUCCESS"
	statusFailure = "FAILURE"
)

// newToken returns a random secret for signalling a resource.
func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate signal token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// ensureToken gives r a signal token if it has none.
func ensureToken(r *resources.Resource) error {
	if r.Data[resources.SignalTokenKey] != "" {
		return nil
	}
	tok, err := newToken()
	if err != nil {
		return err
	}
	r.SetData(resources.SignalTokenKey, tok)
	return nil
}

// curlCLI is the command a machine runs to signal a handle.
func curlCLI(endpoint, token string) string {
	return fmt.Sprintf("curl -i -X POST -H 'X-Auth-Token: %s' -H 'Content-Type: application/json' -H 'Accept: application/json' %s",
		token, endpoint)
}

// WaitConditionHandle is OS::Heat::WaitConditionHandle: the URL and token
// that machines signal (with curl_cli) to complete a WaitCondition.
type WaitConditionHandle struct{}

// Schema implements resources.Plugin.
func (WaitConditionHandle) Schema() *hot.Schema { return waitHandleSchema() }

// Create implements resources.Plugin.
func (WaitConditionHandle) Create(_ context.Context, r *resources.Resource) (string, error) {
	if err := ensureToken(r); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update implements resources.Plugin.
func (WaitConditionHandle) Update(context.Context, *resources.Resource, *resources.Resource) error {
	return nil
}

// Delete implements resources.Plugin.
func (WaitConditionHandle) Delete(context.Context, *resources.Resource) error { return nil }

// Check implements resources.Plugin.
func (WaitConditionHandle) Check(_ context.Context, r *resources.Resource) (bool, error) {
	return true, ensureToken(r)
}

// Attributes implements resources.Plugin.
func (WaitConditionHandle) Attributes(_ context.Context, r *resources.Resource) (map[string]any, error) {
	endpoint := r.Host.SignalURL(r)
	token := r.Data[resources.SignalTokenKey]
	return map[string]any{
		"endpoint": endpoint,
		"token":    token,
		"curl_cli": curlCLI(endpoint, token),
		"signal":   mustJSON(map[string]any{"url": endpoint, "token": token}),
	}, nil
}

// handleSignal is what a wait-condition handle stores of a signal.
type handleSignal struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
	Data   any    `json:"data"`
	ID     string `json:"id"`
}

// HandleSignal implements resources.Signaler: it normalises the body to
// status (SUCCESS when absent), reason, data and id (numbered when absent).
func (WaitConditionHandle) HandleSignal(ctx context.Context, r *resources.Resource, body []byte) (json.RawMessage, error) {
	var in map[string]any
	if len(body) > 0 && string(body) != "null" {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, model.Invalidf("Signal data must be a JSON object")
		}
	}
	sig := handleSignal{Status: statusSuccess, Reason: "Signal 1 received"}
	if s, ok := in["status"].(string); ok {
		sig.Status = s
	}
	if sig.Status != statusSuccess && sig.Status != statusFailure {
		return nil, model.Invalidf("Metadata format invalid: status must be %s or %s", statusSuccess, statusFailure)
	}
	prior, err := r.Host.Signals(ctx, r.Stack.ID, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	n := strconv.Itoa(len(prior) + 1)
	sig.Reason = "Signal " + n + " received"
	if s, ok := in["reason"].(string); ok {
		sig.Reason = s
	}
	sig.Data = in["data"]
	sig.ID = n
	if v, ok := in["id"]; ok && v != nil {
		sig.ID = fmt.Sprint(v)
	}
	b, err := json.Marshal(sig)
	if err != nil {
		return nil, fmt.Errorf("encode signal: %w", err)
	}
	return b, nil
}

// handleSignals decodes a handle's stored signals, later ids replacing
// earlier ones as in Heat.
func handleSignals(sigs []resources.Signal) []handleSignal {
	var out []handleSignal
	index := map[string]int{}
	for _, s := range sigs {
		var h handleSignal
		if json.Unmarshal(s.Body, &h) != nil {
			continue
		}
		if i, ok := index[h.ID]; ok {
			out[i] = h
			continue
		}
		index[h.ID] = len(out)
		out = append(out, h)
	}
	return out
}

// WaitCondition is OS::Heat::WaitCondition: it completes once its handle
// received count SUCCESS signals, and fails on a FAILURE signal or after
// timeout seconds.
type WaitCondition struct{}

// Schema implements resources.Plugin.
func (WaitCondition) Schema() *hot.Schema { return waitConditionSchema() }

func (WaitCondition) wait(ctx context.Context, r *resources.Resource) error {
	handle := r.Prop("handle")
	count := integer(r.Properties["count"], 1)
	timeout := time.Duration(number(r.Properties["timeout"]) * float64(time.Second))
	if timeout <= 0 {
		timeout = 12 * time.Hour
	}
	wctx, cancel := context.WithTimeoutCause(ctx, timeout, errWaitTimeout)
	defer cancel()
	got := 0
	err := r.Host.Wait(wctx, func(ctx context.Context) (bool, error) {
		sigs, err := r.Host.Signals(ctx, r.Stack.ID, handle)
		if err != nil {
			return false, err
		}
		got = 0
		var failures []string
		for _, s := range handleSignals(sigs) {
			switch s.Status {
			case statusFailure:
				failures = append(failures, s.Reason)
			case statusSuccess:
				got++
			}
		}
		if len(failures) > 0 {
			return false, fmt.Errorf("WaitConditionFailure: %s", strings.Join(failures, ";"))
		}
		return got >= count, nil
	})
	if err != nil && errors.Is(context.Cause(wctx), errWaitTimeout) && ctx.Err() == nil {
		return fmt.Errorf("WaitConditionTimeout: %d of %d received", got, count)
	}
	return err
}

var errWaitTimeout = fmt.Errorf("wait condition timed out")

// Create implements resources.Plugin.
func (w WaitCondition) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := w.wait(ctx, r); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update implements resources.Plugin: a new count is waited for.
func (w WaitCondition) Update(ctx context.Context, r, _ *resources.Resource) error {
	return w.wait(ctx, r)
}

// Delete implements resources.Plugin.
func (WaitCondition) Delete(context.Context, *resources.Resource) error { return nil }

// Check implements resources.Plugin: a resumed wait waits again.
func (w WaitCondition) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	if err := w.wait(ctx, r); err != nil {
		return false, err
	}
	return true, nil
}

// Attributes implements resources.Plugin: data is the JSON map of signal
// id to data.
func (WaitCondition) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	sigs, err := r.Host.Signals(ctx, r.Stack.ID, r.Prop("handle"))
	if err != nil {
		return nil, err
	}
	data := map[string]any{}
	for _, s := range handleSignals(sigs) {
		data[s.ID] = s.Data
	}
	return map[string]any{"data": mustJSON(data)}, nil
}
