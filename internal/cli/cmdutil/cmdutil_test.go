package cmdutil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/pkg/client"
)

func TestParseLabels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      []string
		want    map[string]string
		wantErr bool
	}{
		{in: []string{"a=1,b=2;c=3"}, want: map[string]string{"a": "1", "b": "2", "c": "3"}},
		{in: []string{"a=1,2,b=3"}, want: map[string]string{"a": "1,2", "b": "3"}},
		{in: []string{"a=1", "a=2"}, want: map[string]string{"a": "2"}},
		{in: []string{"url=http://x/?q=1"}, want: map[string]string{"url": "http://x/?q=1"}},
		{in: []string{"novalue"}, wantErr: true},
		{in: []string{"=v"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.in, " "), func(t *testing.T) {
			t.Parallel()
			got, err := ParseLabels(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("labels = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParsePatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op      string
		attrs   []string
		want    string
		wantErr string
	}{
		{op: "replace", attrs: []string{"node_count=3", "/public=true", "name=k8s", "ratio=1.5", `quoted="7"`, "obj={\"a\":1}"},
			want: `[{"op":"replace","path":"/node_count","value":3},{"op":"replace","path":"/public","value":true},` +
				`{"op":"replace","path":"/name","value":"k8s"},{"op":"replace","path":"/ratio","value":1.5},` +
				`{"op":"replace","path":"/quoted","value":"7"},{"op":"replace","path":"/obj","value":"{\"a\":1}"}]`},
		{op: "add", attrs: []string{"labels=a=1,b=2", "labels/c=3"},
			want: `[{"op":"add","path":"/labels","value":"{\"a\":\"1\",\"b\":\"2\"}"},{"op":"add","path":"/labels/c","value":3}]`},
		{op: "remove", attrs: []string{"dns_nameserver", "labels/a=ignored"},
			want: `[{"op":"remove","path":"/dns_nameserver"},{"op":"remove","path":"/labels/a"}]`},
		{op: "set", attrs: []string{"a=b"}, wantErr: `unknown operation "set"`},
		{op: "replace", attrs: []string{"node_count"}, wantErr: `"node_count" is not PATH=VALUE`},
		{op: "replace", attrs: []string{"=3"}, wantErr: "has no name"},
	}
	for _, tc := range tests {
		t.Run(tc.op+" "+strings.Join(tc.attrs, " "), func(t *testing.T) {
			t.Parallel()
			got, err := ParsePatch(tc.op, tc.attrs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got)
			if string(b) != tc.want {
				t.Errorf("patch = %s\nwant    %s", b, tc.want)
			}
		})
	}
}

// elapsedPrefix matches the "[  1.2s] " start of a progress line.
var elapsedPrefix = regexp.MustCompile(`(?m)^\[ *[0-9]+\.[0-9]s\] `)

type step struct {
	status, reason string
	err            error
}

func replay(steps ...step) StatusFunc {
	i := 0
	return func(context.Context) (string, string, error) {
		s := steps[min(i, len(steps)-1)]
		i++
		return s.status, s.reason, s.err
	}
}

func TestWaiter(t *testing.T) {
	t.Parallel()
	notFound := &client.APIError{StatusCode: 404, Message: "gone"}
	boom := &client.APIError{StatusCode: 500, Message: "boom"}
	tests := []struct {
		name     string
		deleting bool
		steps    []step
		wantOut  string
		wantErr  string
	}{
		{name: "complete", steps: []step{{status: "UPDATE_IN_PROGRESS"}, {status: "UPDATE_IN_PROGRESS"}, {status: "UPDATE_COMPLETE"}},
			wantOut: "UPDATE_IN_PROGRESS\nUPDATE_COMPLETE\n"},
		{name: "reason change is printed", steps: []step{{status: "UPDATE_IN_PROGRESS"}, {status: "UPDATE_IN_PROGRESS", reason: "draining"}, {status: "UPDATE_COMPLETE"}},
			wantOut: "UPDATE_IN_PROGRESS\nUPDATE_IN_PROGRESS: draining\nUPDATE_COMPLETE\n"},
		{name: "failed", steps: []step{{status: "UPDATE_FAILED", reason: "no quota"}},
			wantOut: "UPDATE_FAILED: no quota\n", wantErr: "cluster k8s: UPDATE_FAILED: no quota"},
		{name: "deleted", deleting: true, steps: []step{{status: "DELETE_IN_PROGRESS"}, {status: "DELETE_COMPLETE"}, {err: notFound}},
			wantOut: "DELETE_IN_PROGRESS\nDELETE_COMPLETE\ndeleted\n"},
		{name: "not found while not deleting", steps: []step{{err: notFound}}, wantErr: "wait for cluster k8s: gone (HTTP 404)"},
		{name: "API error", deleting: true, steps: []step{{status: "DELETE_IN_PROGRESS"}, {err: boom}},
			wantOut: "DELETE_IN_PROGRESS\n", wantErr: "wait for cluster k8s: boom (HTTP 500)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			w := &Waiter{Out: &out, Interval: time.Millisecond, Object: "cluster k8s"}
			var err error
			if tc.deleting {
				err = w.UntilDeleted(t.Context(), replay(tc.steps...))
			} else {
				err = w.UntilStable(t.Context(), replay(tc.steps...))
			}
			if (err != nil) != (tc.wantErr != "") || err != nil && err.Error() != tc.wantErr {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			got := elapsedPrefix.ReplaceAllString(out.String(), "")
			if got != tc.wantOut {
				t.Errorf("output:\n%s\nwant:\n%s", got, tc.wantOut)
			}
		})
	}
}

func TestWaiterCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	get := func(context.Context) (string, string, error) {
		cancel() // Ctrl-C while the first poll is in flight
		return "CREATE_IN_PROGRESS", "", nil
	}
	// An hour-long interval: only the cancellation can end the wait.
	w := &Waiter{Out: &bytes.Buffer{}, Interval: time.Hour, Object: "cluster k8s"}
	if err := w.UntilStable(ctx, get); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
