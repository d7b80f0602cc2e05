package clitest

import (
	"net/http"
	"sync"
	"testing"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/pkg/client/clienttest"
)

// Case is one table-driven command test.
type Case struct {
	// Name names the subtest.
	Name string
	// Args are the command line after "slipway".
	Args []string
	// Stdin is the command's standard input.
	Stdin string
	// Setup, if set, adjusts the fake API before the run.
	Setup func(srv *clienttest.Server)
	// WantErr says the command must fail; otherwise it must succeed.
	WantErr bool
	// WantOut, if set, is the exact standard output.
	WantOut string
	// WantErrOut is the exact standard error, with elapsed times replaced
	// by "[t]" (see StripElapsed).
	WantErrOut string
	// WantReq, if set, is the last API request, as clienttest.Request's
	// String method writes it.
	WantReq string
	// WantBody, if set, is the last API request's body.
	WantBody string
	// Check, if set, inspects the standard output.
	Check func(t *testing.T, out string)
}

// RunCases runs each case as a parallel subtest, against a fresh fake API
// from newAPI.
func RunCases(t *testing.T, newAPI func(*testing.T) *clienttest.Server, newCmd func(*cmdutil.Factory) *cobra.Command, cases []Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			srv := newAPI(t)
			if tc.Setup != nil {
				tc.Setup(srv)
			}
			res := RunWithInput(t, srv, tc.Stdin, newCmd, tc.Args...)
			if (res.Err != nil) != tc.WantErr {
				t.Fatalf("err = %v, want an error: %v; stderr:\n%s", res.Err, tc.WantErr, res.ErrOut)
			}
			if tc.WantOut != "" && res.Out != tc.WantOut {
				t.Errorf("stdout:\n%s\nwant:\n%s", res.Out, tc.WantOut)
			}
			if got := StripElapsed(res.ErrOut); got != tc.WantErrOut {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, tc.WantErrOut)
			}
			if tc.Check != nil {
				tc.Check(t, res.Out)
			}
			last := srv.LastRequest()
			if tc.WantReq != "" && last.String() != tc.WantReq {
				t.Errorf("last request = %s, want %s", last, tc.WantReq)
			}
			if tc.WantBody != "" && last.Body != tc.WantBody {
				t.Errorf("request body:\n%s\nwant:\n%s", last.Body, tc.WantBody)
			}
		})
	}
}

// Sequence returns a handler that serves states in turn, one per request,
// and then the last one again; a nil state is a 404 with notFound as its
// message. It fakes an object whose status changes while --wait polls.
func Sequence[T any](notFound string, states ...*T) http.HandlerFunc {
	var mu sync.Mutex
	i := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		s := states[min(i, len(states)-1)]
		i++
		mu.Unlock()
		if s == nil {
			clienttest.WriteError(w, http.StatusNotFound, notFound)
			return
		}
		clienttest.WriteJSON(w, http.StatusOK, s)
	}
}
