package template

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/cli/clitest"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client/clienttest"
)

const templateUUID = "0562d357-8641-4759-8fed-8173f02c9633"

func ptr[T any](v T) *T { return &v }

func testTemplate() v1.ClusterTemplate {
	return v1.ClusterTemplate{
		UUID: templateUUID, Name: ptr("k8s"), COE: "kubernetes", ImageID: "slipway-node",
		Labels: map[string]string{"kube_tag": "v1.31.1"}, Public: true, ServerType: "vm", FloatingIPEnabled: true,
		Links: []v1.Link{{Href: "http://x/v1/clustertemplates/" + templateUUID, Rel: "self"}},
	}
}

func newAPI(t *testing.T) *clienttest.Server {
	srv := clienttest.NewServer(t)
	tmpl := testTemplate()
	srv.Handle("GET /clustertemplates", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, v1.ClusterTemplateList{ClusterTemplates: []v1.ClusterTemplate{tmpl}})
	})
	srv.Handle("GET /clustertemplates/{id}", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, tmpl)
	})
	srv.Handle("POST /clustertemplates", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusCreated, tmpl)
	})
	srv.Handle("PATCH /clustertemplates/{id}", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, tmpl)
	})
	srv.Handle("DELETE /clustertemplates/{id}", func(w http.ResponseWriter, r *http.Request) {
		if id := r.PathValue("id"); id == "in-use" {
			clienttest.WriteError(w, http.StatusBadRequest, "ClusterTemplate in-use is referenced by one or multiple clusters.")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return srv
}

func TestCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantOut    string
		wantErrOut string
		wantReq    string // the last request's method and path
		wantBody   string
		check      func(t *testing.T, out string)
	}{
		{
			name: "list table",
			args: []string{"template", "list"},
			wantOut: "UUID                                  NAME  COE         IMAGE_ID      PUBLIC  HIDDEN  TAGS\n" +
				templateUUID + "  k8s   kubernetes  slipway-node  true    false   -\n",
		},
		{
			name: "list json",
			args: []string{"template", "list", "--output", "json"},
			check: func(t *testing.T, out string) {
				var got []v1.ClusterTemplate
				if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 || *got[0].Name != "k8s" {
					t.Errorf("templates = %+v (%v)\n%s", got, err, out)
				}
			},
		},
		{
			name:    "show table",
			args:    []string{"template", "show", "k8s"},
			wantReq: "GET /clustertemplates/k8s",
			check: func(t *testing.T, out string) {
				if want := "\nlabels                 {\"kube_tag\":\"v1.31.1\"}\n"; !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			},
		},
		{
			name:     "create with defaults",
			args:     []string{"template", "create", "k8s", "-o", "json"},
			wantReq:  "POST /clustertemplates",
			wantBody: `{"name":"k8s","coe":"kubernetes","image_id":"slipway-node","flavor_id":"m1.small","master_flavor_id":"m1.small","external_network_id":"public"}`,
			check: func(t *testing.T, out string) {
				var got v1.ClusterTemplate
				if err := json.Unmarshal([]byte(out), &got); err != nil || got.UUID != templateUUID {
					t.Errorf("template = %+v (%v)", got, err)
				}
			},
		},
		{
			name: "create with flags",
			args: []string{"template", "create", "k8s", "--flavor", "m1.large", "--label", "kube_tag=v1.32.0", "--labels", "a=1;b=2",
				"--public", "--master-lb-enabled", "--floating-ip-disabled", "--network-driver", "calico", "--dns-nameserver", "1.1.1.1", "--server-type", "vm", "--hidden"},
			wantReq: "POST /clustertemplates",
			wantBody: `{"name":"k8s","coe":"kubernetes","image_id":"slipway-node","flavor_id":"m1.large","master_flavor_id":"m1.small","dns_nameserver":"1.1.1.1",` +
				`"external_network_id":"public","network_driver":"calico","labels":{"a":"1","b":"2","kube_tag":"v1.32.0"},"public":true,"hidden":true,"server_type":"vm","master_lb_enabled":true,"floating_ip_enabled":false}`,
		},
		{
			name:     "update",
			args:     []string{"template", "update", "k8s", "replace", "master_lb_enabled=true", "docker_volume_size=10", "labels=kube_tag=v1.32.0,x=y", "name=new"},
			wantReq:  "PATCH /clustertemplates/k8s",
			wantBody: `[{"op":"replace","path":"/master_lb_enabled","value":true},{"op":"replace","path":"/docker_volume_size","value":10},{"op":"replace","path":"/labels","value":"{\"kube_tag\":\"v1.32.0\",\"x\":\"y\"}"},{"op":"replace","path":"/name","value":"new"}]`,
		},
		{
			name:     "update remove",
			args:     []string{"template", "update", "k8s", "remove", "dns_nameserver", "/labels/kube_tag"},
			wantReq:  "PATCH /clustertemplates/k8s",
			wantBody: `[{"op":"remove","path":"/dns_nameserver"},{"op":"remove","path":"/labels/kube_tag"}]`,
		},
		{
			name:    "delete",
			args:    []string{"template", "delete", "k8s", "old"},
			wantOut: "Request to delete cluster template k8s has been accepted.\nRequest to delete cluster template old has been accepted.\n",
			wantReq: "DELETE /clustertemplates/old",
		},
		{
			name:    "delete json",
			args:    []string{"template", "delete", "k8s", "-o", "json"},
			wantOut: "{\n  \"deleted\": [\n    \"k8s\"\n  ]\n}\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newAPI(t)
			res := clitest.Run(t, srv, NewCommand, tc.args...)
			if res.Err != nil {
				t.Fatalf("err = %v, stderr:\n%s", res.Err, res.ErrOut)
			}
			if tc.wantOut != "" && res.Out != tc.wantOut {
				t.Errorf("stdout:\n%s\nwant:\n%s", res.Out, tc.wantOut)
			}
			if tc.check != nil {
				tc.check(t, res.Out)
			}
			reqs := srv.Requests()
			last := reqs[len(reqs)-1]
			if tc.wantReq != "" && last.Method+" "+last.Path != tc.wantReq {
				t.Errorf("last request = %s %s, want %s", last.Method, last.Path, tc.wantReq)
			}
			if tc.wantBody != "" && last.Body != tc.wantBody {
				t.Errorf("body:\n%s\nwant:\n%s", last.Body, tc.wantBody)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantOut    string
		wantErrOut string
	}{
		{
			name:    "one of several deletes fails",
			args:    []string{"template", "delete", "in-use", "k8s"},
			wantOut: "Request to delete cluster template k8s has been accepted.\n",
			wantErrOut: "Error: delete cluster template in-use: ClusterTemplate in-use is referenced by one or multiple clusters. (HTTP 400, request " +
				clienttest.RequestID + ")\n",
		},
		{
			name:       "bad patch operation",
			args:       []string{"template", "update", "k8s", "set", "a=b"},
			wantErrOut: "Error: unknown operation \"set\": use add, replace or remove\n",
		},
		{
			name:       "bad output format",
			args:       []string{"template", "list", "-o", "xml"},
			wantErrOut: "Error: unknown output format \"xml\": use table, json or yaml\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := clitest.Run(t, newAPI(t), NewCommand, tc.args...)
			if res.Err == nil {
				t.Fatal("command succeeded")
			}
			if res.Out != tc.wantOut || res.ErrOut != tc.wantErrOut {
				t.Errorf("stdout %q, stderr %q\nwant   %q, stderr %q", res.Out, res.ErrOut, tc.wantOut, tc.wantErrOut)
			}
		})
	}
}
