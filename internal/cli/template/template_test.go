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
	clitest.RunCases(t, newAPI, NewCommand, []clitest.Case{
		{
			Name: "list table",
			Args: []string{"template", "list"},
			WantOut: "UUID                                  NAME  COE         IMAGE_ID      PUBLIC  HIDDEN  TAGS\n" +
				templateUUID + "  k8s   kubernetes  slipway-node  true    false   -\n",
			WantReq: "GET /clustertemplates",
		},
		{
			Name: "list json",
			Args: []string{"template", "list", "--output", "json"},
			Check: func(t *testing.T, out string) {
				var got []v1.ClusterTemplate
				if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 || *got[0].Name != "k8s" {
					t.Errorf("templates = %+v (%v)\n%s", got, err, out)
				}
			},
		},
		{
			Name:    "show table",
			Args:    []string{"template", "show", "k8s"},
			WantReq: "GET /clustertemplates/k8s",
			Check: func(t *testing.T, out string) {
				if want := "\nlabels                 {\"kube_tag\":\"v1.31.1\"}\n"; !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			},
		},
		{
			Name:     "create with defaults",
			Args:     []string{"template", "create", "k8s", "-o", "json"},
			WantReq:  "POST /clustertemplates",
			WantBody: `{"name":"k8s","coe":"kubernetes","image_id":"slipway-node","flavor_id":"m1.small","master_flavor_id":"m1.small","external_network_id":"public"}`,
			Check: func(t *testing.T, out string) {
				var got v1.ClusterTemplate
				if err := json.Unmarshal([]byte(out), &got); err != nil || got.UUID != templateUUID {
					t.Errorf("template = %+v (%v)", got, err)
				}
			},
		},
		{
			Name: "create with flags",
			Args: []string{"template", "create", "k8s", "--flavor", "m1.large", "--label", "kube_tag=v1.32.0", "--labels", "a=1;b=2",
				"--public", "--master-lb-enabled", "--floating-ip-disabled", "--network-driver", "calico", "--dns-nameserver", "1.1.1.1", "--server-type", "vm", "--hidden"},
			WantReq: "POST /clustertemplates",
			WantBody: `{"name":"k8s","coe":"kubernetes","image_id":"slipway-node","flavor_id":"m1.large","master_flavor_id":"m1.small","dns_nameserver":"1.1.1.1",` +
				`"external_network_id":"public","network_driver":"calico","labels":{"a":"1","b":"2","kube_tag":"v1.32.0"},"public":true,"hidden":true,"server_type":"vm","master_lb_enabled":true,"floating_ip_enabled":false}`,
		},
		{
			Name:     "update",
			Args:     []string{"template", "update", "k8s", "replace", "master_lb_enabled=true", "docker_volume_size=10", "labels=kube_tag=v1.32.0,x=y", "name=new"},
			WantReq:  "PATCH /clustertemplates/k8s",
			WantBody: `[{"op":"replace","path":"/master_lb_enabled","value":true},{"op":"replace","path":"/docker_volume_size","value":10},{"op":"replace","path":"/labels","value":"{\"kube_tag\":\"v1.32.0\",\"x\":\"y\"}"},{"op":"replace","path":"/name","value":"new"}]`,
		},
		{
			Name:     "update remove",
			Args:     []string{"template", "update", "k8s", "remove", "dns_nameserver", "/labels/kube_tag"},
			WantReq:  "PATCH /clustertemplates/k8s",
			WantBody: `[{"op":"remove","path":"/dns_nameserver"},{"op":"remove","path":"/labels/kube_tag"}]`,
		},
		{
			Name:    "delete",
			Args:    []string{"template", "delete", "k8s", "old"},
			WantOut: "Request to delete cluster template k8s has been accepted.\nRequest to delete cluster template old has been accepted.\n",
			WantReq: "DELETE /clustertemplates/old",
		},
		{
			Name:    "delete json",
			Args:    []string{"template", "delete", "k8s", "-o", "json"},
			WantOut: "{\n  \"deleted\": [\n    \"k8s\"\n  ]\n}\n",
		},
		{
			Name:    "one of several deletes fails",
			Args:    []string{"template", "delete", "in-use", "k8s"},
			WantErr: true,
			WantOut: "Request to delete cluster template k8s has been accepted.\n",
			WantErrOut: "Error: delete cluster template in-use: ClusterTemplate in-use is referenced by one or multiple clusters. (HTTP 400, request " +
				clienttest.RequestID + ")\n",
		},
		{
			Name:       "bad patch operation",
			Args:       []string{"template", "update", "k8s", "set", "a=b"},
			WantErr:    true,
			WantErrOut: "Error: unknown operation \"set\": use add, replace or remove\n",
		},
		{
			Name:       "bad output format",
			Args:       []string{"template", "list", "-o", "xml"},
			WantErr:    true,
			WantErrOut: "Error: unknown output format \"xml\": use table, json or yaml\n",
		},
	})
}
