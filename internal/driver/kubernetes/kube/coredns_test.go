package kube_test

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway/slipway/internal/driver/kubernetes/kube"
	"github.com/slipway/slipway/internal/driver/kubernetes/kube/kubetest"
)

// coreDNSImage is the image the tests ask for; nothing pulls it.
const coreDNSImage = "registry.k8s.io/coredns/coredns:v1.14.6"

// TestApplyCoreDNS installs the addon on a real API server: every object
// is there, the Corefile forwards nowhere unless upstreams are given, the
// Service has the asked cluster IP, the Deployment's pods pass admission,
// and applying again changes nothing.
func TestApplyCoreDNS(t *testing.T) {
	t.Parallel()
	c := kubetest.Start(t, kubetest.Options{})
	client := c.Client(t)
	cs := client.Interface()
	params := kube.DNSParams{Image: coreDNSImage, ClusterIP: "10.96.0.10"}

	if err := client.ApplyCoreDNS(t.Context(), params); err != nil {
		t.Fatal(err)
	}
	versions := coreDNSVersions(t, cs)

	corefile := versions.configMap.Data["Corefile"]
	if strings.Contains(corefile, "forward") {
		t.Errorf("default Corefile forwards:\n%s", corefile)
	}
	for _, want := range []string{"kubernetes cluster.local in-addr.arpa ip6.arpa {", "pods insecure", "fallthrough in-addr.arpa ip6.arpa", "health :8080", "ready :8181", "loop", "reload", "cache 30", "errors"} {
		if !strings.Contains(corefile, want) {
			t.Errorf("Corefile lacks %q:\n%s", want, corefile)
		}
	}

	svc := versions.service
	if svc.Spec.ClusterIP != "10.96.0.10" || svc.Labels["k8s-app"] != "kube-dns" {
		t.Errorf("service kube-dns: cluster IP %s, labels %v; want 10.96.0.10 and k8s-app=kube-dns", svc.Spec.ClusterIP, svc.Labels)
	}
	var ports []string
	for _, p := range svc.Spec.Ports {
		ports = append(ports, string(p.Protocol)+"/"+p.TargetPort.String())
	}
	if got := strings.Join(ports, " "); got != "UDP/53 TCP/53 TCP/9153" {
		t.Errorf("service kube-dns ports %s, want UDP/53 TCP/53 TCP/9153", got)
	}

	d := versions.deployment
	if *d.Spec.Replicas != 1 || d.Spec.Template.Spec.Containers[0].Image != coreDNSImage {
		t.Errorf("deployment coredns: %d replicas of %s, want 1 of %s", *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image, coreDNSImage)
	}
	// The Deployment's pods pass validation and admission: the service
	// account exists and the priority class resolves.
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "coredns-", Labels: d.Spec.Template.Labels},
		Spec:       d.Spec.Template.Spec,
	}
	if _, err := cs.CoreV1().Pods("kube-system").Create(t.Context(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Errorf("a pod of the coredns deployment is refused: %v", err)
	}

	// Idempotent: the same parameters write nothing.
	if err := client.ApplyCoreDNS(t.Context(), params); err != nil {
		t.Fatal(err)
	}
	if again := coreDNSVersions(t, cs); again.String() != versions.String() {
		t.Errorf("second apply changed objects: resourceVersions %s, then %s", versions, again)
	}

	// Upstreams add one forward line, and only the ConfigMap changes.
	withUpstream := params
	withUpstream.Upstream = []string{"192.0.2.53", "192.0.2.54:5353"}
	if err := client.ApplyCoreDNS(t.Context(), withUpstream); err != nil {
		t.Fatal(err)
	}
	after := coreDNSVersions(t, cs)
	if got := after.configMap.Data["Corefile"]; !strings.Contains(got, "forward . 192.0.2.53 192.0.2.54:5353 {") {
		t.Errorf("Corefile with upstreams lacks the forward line:\n%s", got)
	}
	if after.configMap.ResourceVersion == versions.configMap.ResourceVersion || after.deployment.ResourceVersion != versions.deployment.ResourceVersion {
		t.Errorf("apply with upstreams: resourceVersions %s, then %s; want the ConfigMap's alone changed", versions, after)
	}

	// Without them again, the forward line goes.
	if err := client.ApplyCoreDNS(t.Context(), params); err != nil {
		t.Fatal(err)
	}
	if got := coreDNSVersions(t, cs).configMap.Data["Corefile"]; got != corefile {
		t.Errorf("Corefile after removing upstreams:\n%s\nwant:\n%s", got, corefile)
	}

	// A Service's cluster IP cannot change.
	moved := params
	moved.ClusterIP = "10.96.0.11"
	if err := client.ApplyCoreDNS(t.Context(), moved); err == nil {
		t.Error("ApplyCoreDNS moved the kube-dns cluster IP, want an error")
	}
}

// coreDNSObjects are the addon's objects as read back, and the
// resourceVersion of each.
type coreDNSObjects struct {
	configMap  *corev1.ConfigMap
	service    *corev1.Service
	deployment *appsv1.Deployment
	versions   []string
}

func (o coreDNSObjects) String() string { return strings.Join(o.versions, " ") }

// coreDNSVersions reads every object of the addon; a missing one fails the
// test.
func coreDNSVersions(t *testing.T, cs kubernetes.Interface) coreDNSObjects {
	t.Helper()
	ctx, get := t.Context(), metav1.GetOptions{}
	var o coreDNSObjects
	add := func(kind string, obj metav1.Object, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("coredns %s: %v", kind, err)
		}
		o.versions = append(o.versions, kind+"="+obj.GetResourceVersion())
	}
	sa, err := cs.CoreV1().ServiceAccounts("kube-system").Get(ctx, "coredns", get)
	add("ServiceAccount", sa, err)
	role, err := cs.RbacV1().ClusterRoles().Get(ctx, "system:coredns", get)
	add("ClusterRole", role, err)
	binding, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, "system:coredns", get)
	add("ClusterRoleBinding", binding, err)
	o.configMap, err = cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "coredns", get)
	add("ConfigMap", o.configMap, err)
	o.deployment, err = cs.AppsV1().Deployments("kube-system").Get(ctx, "coredns", get)
	add("Deployment", o.deployment, err)
	o.service, err = cs.CoreV1().Services("kube-system").Get(ctx, "kube-dns", get)
	add("Service", o.service, err)

	var resources []string
	for _, r := range role.Rules {
		if slices.Equal(r.Verbs, []string{"list", "watch"}) {
			resources = append(resources, r.Resources...)
		}
	}
	if want := []string{"endpoints", "services", "pods", "namespaces", "endpointslices"}; !slices.Equal(resources, want) {
		t.Errorf("cluster role system:coredns may list and watch %v, want %v", resources, want)
	}
	if len(binding.Subjects) != 1 || binding.Subjects[0].Name != "coredns" || binding.RoleRef.Name != "system:coredns" {
		t.Errorf("cluster role binding: %+v to %+v, want service account coredns to system:coredns", binding.Subjects, binding.RoleRef)
	}
	return o
}

// TestDNSServing follows the kube-dns Service's endpoints as the
// endpoint-slice controller would write them.
func TestDNSServing(t *testing.T) {
	t.Parallel()
	c := kubetest.Start(t, kubetest.Options{})
	client := c.Client(t)
	ctx := t.Context()
	check := func(want bool, reason string) {
		t.Helper()
		ok, why, err := client.DNSServing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok != want || !strings.Contains(why, reason) {
			t.Errorf("DNSServing = %v, %q; want %v, %q", ok, why, want, reason)
		}
	}
	check(false, "no CoreDNS pod serves kube-dns yet")

	setDNSEndpoint(t, client.Interface(), false)
	check(false, "none of the 1 CoreDNS pods of kube-dns is ready")

	setDNSEndpoint(t, client.Interface(), true)
	check(true, "")
}
