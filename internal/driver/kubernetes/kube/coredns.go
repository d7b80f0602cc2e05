package kube

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
)

// CoreDNS defaults.
const (
	// DefaultClusterDomain is the cluster domain when DNSParams.Domain is
	// empty.
	DefaultClusterDomain = "cluster.local"
	// DefaultDNSReplicas is the number of CoreDNS replicas when
	// DNSParams.Replicas is zero.
	DefaultDNSReplicas = 1
)

// Names of the CoreDNS addon's objects, as kubeadm names them, so that
// tools that look for kube-dns find it.
const (
	dnsNamespace   = metav1.NamespaceSystem
	dnsName        = "coredns"
	dnsClusterRole = "system:coredns"
	dnsService     = "kube-dns"
	dnsAppLabel    = "k8s-app"
	corefileKey    = "Corefile"
	corefileDir    = "/etc/coredns"
)

// Ports CoreDNS serves on, set in the Corefile and named in the Deployment.
const (
	dnsPort       = 53
	metricsPort   = 9153
	healthPort    = 8080
	readinessPort = 8181
)

// DNSParams configure the CoreDNS addon.
type DNSParams struct {
	// Image is the CoreDNS image, such as
	// registry.k8s.io/coredns/coredns:v1.14.6. Required.
	Image string
	// ClusterIP is the kube-dns Service's address, inside the API server's
	// service range; kubelets hand it to pods as their resolver. Required.
	ClusterIP string
	// Domain is the cluster domain; empty means DefaultClusterDomain.
	Domain string
	// Replicas is the Deployment's size; zero means DefaultDNSReplicas.
	Replicas int32
	// Upstream lists the resolvers, as IP or IP:port, that names outside
	// the cluster domain are forwarded to. Empty means none: CoreDNS then
	// answers for the cluster alone, and no query leaves the host.
	Upstream []string
}

// withDefaults validates p and fills in its defaults.
func (p DNSParams) withDefaults() (DNSParams, error) {
	invalid := func(format string, a ...any) (DNSParams, error) {
		return DNSParams{}, fmt.Errorf("coredns: %w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	if p.Image == "" || strings.ContainsAny(p.Image, " \t\r\n") {
		return invalid("image %q: want a non-empty image reference", p.Image)
	}
	if _, err := netip.ParseAddr(p.ClusterIP); err != nil {
		return invalid("cluster IP %q: not an IP address", p.ClusterIP)
	}
	if p.Domain == "" {
		p.Domain = DefaultClusterDomain
	}
	if errs := validation.IsDNS1123Subdomain(p.Domain); len(errs) > 0 {
		return invalid("domain %q: %s", p.Domain, strings.Join(errs, ", "))
	}
	switch {
	case p.Replicas == 0:
		p.Replicas = DefaultDNSReplicas
	case p.Replicas < 0:
		return invalid("replicas %d: want 0 or more", p.Replicas)
	}
	upstream := make([]string, 0, len(p.Upstream))
	for _, u := range p.Upstream {
		if a, err := netip.ParseAddr(u); err == nil && a.Zone() == "" {
			upstream = append(upstream, a.String())
		} else if ap, err := netip.ParseAddrPort(u); err == nil && ap.Addr().Zone() == "" {
			upstream = append(upstream, ap.String())
		} else {
			return invalid("upstream %q: want IP or IP:port", u)
		}
	}
	p.Upstream = upstream
	return p, nil
}

// corefile returns the CoreDNS configuration for p: the kubernetes plugin
// for the cluster domain and the reverse zones, health on :8080, ready on
// :8181, metrics on :9153, errors, cache, loop detection and reload on
// change. Only when p.Upstream is set does it add a forward line. p must
// have been through withDefaults.
func corefile(p DNSParams) string {
	var b strings.Builder
	fmt.Fprintf(&b, ".:%d {\n", dnsPort)
	b.WriteString("    errors\n")
	fmt.Fprintf(&b, "    health :%d {\n        lameduck 5s\n    }\n", healthPort)
	fmt.Fprintf(&b, "    ready :%d\n", readinessPort)
	fmt.Fprintf(&b, "    kubernetes %s in-addr.arpa ip6.arpa {\n", p.Domain)
	b.WriteString("        pods insecure\n")
	b.WriteString("        fallthrough in-addr.arpa ip6.arpa\n")
	b.WriteString("        ttl 30\n")
	b.WriteString("    }\n")
	fmt.Fprintf(&b, "    prometheus :%d\n", metricsPort)
	if len(p.Upstream) > 0 {
		fmt.Fprintf(&b, "    forward . %s {\n        max_concurrent 1000\n    }\n", strings.Join(p.Upstream, " "))
	}
	b.WriteString("    cache 30\n")
	b.WriteString("    loop\n")
	b.WriteString("    reload\n")
	b.WriteString("    loadbalance\n")
	b.WriteString("}\n")
	return b.String()
}

// coreDNSAddon is the desired state of the CoreDNS addon, in apply order.
type coreDNSAddon struct {
	ServiceAccount     *corev1ac.ServiceAccountApplyConfiguration
	ClusterRole        *rbacv1ac.ClusterRoleApplyConfiguration
	ClusterRoleBinding *rbacv1ac.ClusterRoleBindingApplyConfiguration
	ConfigMap          *corev1ac.ConfigMapApplyConfiguration
	Deployment         *appsv1ac.DeploymentApplyConfiguration
	Service            *corev1ac.ServiceApplyConfiguration
}

// objects returns the addon's objects in apply order, for printing.
func (a *coreDNSAddon) objects() []any {
	return []any{a.ServiceAccount, a.ClusterRole, a.ClusterRoleBinding, a.ConfigMap, a.Deployment, a.Service}
}

// coreDNS computes the CoreDNS addon for p, without side effects. The
// objects follow kubeadm's addon: the same names and labels, RBAC, probes
// and security context.
func coreDNS(p DNSParams) (*coreDNSAddon, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	labels := map[string]string{dnsAppLabel: "kube-dns"}

	sa := corev1ac.ServiceAccount(dnsName, dnsNamespace)

	role := rbacv1ac.ClusterRole(dnsClusterRole).
		WithRules(
			rbacv1ac.PolicyRule().WithAPIGroups("").
				WithResources("endpoints", "services", "pods", "namespaces").
				WithVerbs("list", "watch"),
			rbacv1ac.PolicyRule().WithAPIGroups("discovery.k8s.io").
				WithResources("endpointslices").
				WithVerbs("list", "watch"),
		)

	binding := rbacv1ac.ClusterRoleBinding(dnsClusterRole).
		WithRoleRef(rbacv1ac.RoleRef().
			WithAPIGroup("rbac.authorization.k8s.io").WithKind("ClusterRole").WithName(dnsClusterRole)).
		WithSubjects(rbacv1ac.Subject().
			WithKind("ServiceAccount").WithName(dnsName).WithNamespace(dnsNamespace))

	cm := corev1ac.ConfigMap(dnsName, dnsNamespace).
		WithData(map[string]string{corefileKey: corefile(p)})

	httpProbe := func(path string, port int32) *corev1ac.ProbeApplyConfiguration {
		return corev1ac.Probe().WithHTTPGet(corev1ac.HTTPGetAction().
			WithPath(path).WithPort(intstr.FromInt32(port)).WithScheme(corev1.URISchemeHTTP))
	}
	containerPort := func(name string, port int32, proto corev1.Protocol) *corev1ac.ContainerPortApplyConfiguration {
		return corev1ac.ContainerPort().WithName(name).WithContainerPort(port).WithProtocol(proto)
	}
	container := corev1ac.Container().
		WithName(dnsName).
		WithImage(p.Image).
		WithImagePullPolicy(corev1.PullIfNotPresent).
		WithArgs("-conf", corefileDir+"/"+corefileKey).
		WithResources(corev1ac.ResourceRequirements().
			WithRequests(corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("100m"),
				corev1.ResourceMemory: resource.MustParse("70Mi"),
			}).
			WithLimits(corev1.ResourceList{
				corev1.ResourceMemory: resource.MustParse("170Mi"),
			})).
		WithVolumeMounts(corev1ac.VolumeMount().
			WithName("config-volume").WithMountPath(corefileDir).WithReadOnly(true)).
		WithPorts(
			containerPort("dns", dnsPort, corev1.ProtocolUDP),
			containerPort("dns-tcp", dnsPort, corev1.ProtocolTCP),
			containerPort("metrics", metricsPort, corev1.ProtocolTCP),
			containerPort("liveness-probe", healthPort, corev1.ProtocolTCP),
			containerPort("readiness-probe", readinessPort, corev1.ProtocolTCP),
		).
		WithLivenessProbe(httpProbe("/health", healthPort).
			WithInitialDelaySeconds(60).WithTimeoutSeconds(5).
			WithSuccessThreshold(1).WithFailureThreshold(5)).
		// Probed every second: the Service has no endpoint until the first
		// success, and a new cluster's DNS should answer at once.
		WithReadinessProbe(httpProbe("/ready", readinessPort).WithPeriodSeconds(1)).
		WithSecurityContext(corev1ac.SecurityContext().
			WithAllowPrivilegeEscalation(false).
			WithCapabilities(corev1ac.Capabilities().WithAdd("NET_BIND_SERVICE").WithDrop("ALL")).
			WithReadOnlyRootFilesystem(true))

	pod := corev1ac.PodSpec().
		WithPriorityClassName("system-cluster-critical").
		WithServiceAccountName(dnsName).
		// CoreDNS resolves upstream names through the node's resolver, not
		// through itself.
		WithDNSPolicy(corev1.DNSDefault).
		WithNodeSelector(map[string]string{corev1.LabelOSStable: "linux"}).
		WithTolerations(
			corev1ac.Toleration().WithKey("CriticalAddonsOnly").WithOperator(corev1.TolerationOpExists),
			corev1ac.Toleration().WithKey("node-role.kubernetes.io/control-plane").WithEffect(corev1.TaintEffectNoSchedule),
		).
		WithAffinity(corev1ac.Affinity().WithPodAntiAffinity(corev1ac.PodAntiAffinity().
			WithPreferredDuringSchedulingIgnoredDuringExecution(corev1ac.WeightedPodAffinityTerm().
				WithWeight(100).
				WithPodAffinityTerm(corev1ac.PodAffinityTerm().
					WithLabelSelector(metav1ac.LabelSelector().WithMatchLabels(labels)).
					WithTopologyKey(corev1.LabelHostname))))).
		WithContainers(container).
		WithVolumes(corev1ac.Volume().
			WithName("config-volume").
			WithConfigMap(corev1ac.ConfigMapVolumeSource().
				WithName(dnsName).
				WithItems(corev1ac.KeyToPath().WithKey(corefileKey).WithPath(corefileKey))))

	deploy := appsv1ac.Deployment(dnsName, dnsNamespace).
		WithLabels(labels).
		WithSpec(appsv1ac.DeploymentSpec().
			WithReplicas(p.Replicas).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(labels)).
			WithStrategy(appsv1ac.DeploymentStrategy().
				WithType(appsv1.RollingUpdateDeploymentStrategyType).
				WithRollingUpdate(appsv1ac.RollingUpdateDeployment().WithMaxUnavailable(intstr.FromInt32(1)))).
			WithTemplate(corev1ac.PodTemplateSpec().
				WithLabels(labels).
				WithSpec(pod)))

	servicePort := func(name string, port int32, proto corev1.Protocol) *corev1ac.ServicePortApplyConfiguration {
		return corev1ac.ServicePort().WithName(name).WithPort(port).WithProtocol(proto).WithTargetPort(intstr.FromInt32(port))
	}
	svc := corev1ac.Service(dnsService, dnsNamespace).
		WithLabels(map[string]string{dnsAppLabel: "kube-dns", "kubernetes.io/name": "CoreDNS"}).
		WithAnnotations(map[string]string{
			"prometheus.io/port":   fmt.Sprint(metricsPort),
			"prometheus.io/scrape": "true",
		}).
		WithSpec(corev1ac.ServiceSpec().
			WithType(corev1.ServiceTypeClusterIP).
			WithClusterIP(p.ClusterIP).
			WithSelector(labels).
			WithPorts(
				servicePort("dns", dnsPort, corev1.ProtocolUDP),
				servicePort("dns-tcp", dnsPort, corev1.ProtocolTCP),
				servicePort("metrics", metricsPort, corev1.ProtocolTCP),
			))

	return &coreDNSAddon{
		ServiceAccount:     sa,
		ClusterRole:        role,
		ClusterRoleBinding: binding,
		ConfigMap:          cm,
		Deployment:         deploy,
		Service:            svc,
	}, nil
}

// ApplyCoreDNS creates or updates the CoreDNS addon in kube-system by
// server-side apply, as field manager FieldManager, taking over fields
// another manager set: ServiceAccount coredns, ClusterRole and
// ClusterRoleBinding system:coredns, ConfigMap coredns (the Corefile),
// Deployment coredns and Service kube-dns at p.ClusterIP. Applying the same
// parameters again changes nothing. The Service's cluster IP cannot change
// once set; asking for another one is an error from the API.
func (c *Client) ApplyCoreDNS(ctx context.Context, p DNSParams) error {
	a, err := coreDNS(p)
	if err != nil {
		return err
	}
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	core, rbac := c.cs.CoreV1(), c.cs.RbacV1()
	steps := []struct {
		what  string
		apply func() error
	}{
		{"service account", func() error {
			_, err := core.ServiceAccounts(dnsNamespace).Apply(ctx, a.ServiceAccount, opts)
			return err
		}},
		{"cluster role", func() error {
			_, err := rbac.ClusterRoles().Apply(ctx, a.ClusterRole, opts)
			return err
		}},
		{"cluster role binding", func() error {
			_, err := rbac.ClusterRoleBindings().Apply(ctx, a.ClusterRoleBinding, opts)
			return err
		}},
		{"config map", func() error {
			_, err := core.ConfigMaps(dnsNamespace).Apply(ctx, a.ConfigMap, opts)
			return err
		}},
		{"deployment", func() error {
			_, err := c.cs.AppsV1().Deployments(dnsNamespace).Apply(ctx, a.Deployment, opts)
			return err
		}},
		{"service", func() error {
			_, err := core.Services(dnsNamespace).Apply(ctx, a.Service, opts)
			return err
		}},
	}
	for _, s := range steps {
		if err := s.apply(); err != nil {
			return fmt.Errorf("apply coredns %s: %w", s.what, err)
		}
	}
	return nil
}

// DNSServing reports whether cluster DNS can answer: the kube-dns Service
// has a ready CoreDNS endpoint, so every kube-proxy routes its address to a
// CoreDNS that has synced the cluster's names. When it cannot, the reason
// says what is missing.
func (c *Client) DNSServing(ctx context.Context) (bool, string, error) {
	slices, err := c.cs.DiscoveryV1().EndpointSlices(dnsNamespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + dnsService,
	})
	if err != nil {
		return false, "", fmt.Errorf("list the %s endpoints: %w", dnsService, err)
	}
	endpoints := 0
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && *e.Conditions.Ready {
				return true, "", nil
			}
			endpoints++
		}
	}
	if endpoints == 0 {
		return false, "no CoreDNS pod serves " + dnsService + " yet", nil
	}
	return false, fmt.Sprintf("none of the %d CoreDNS pods of %s is ready", endpoints, dnsService), nil
}
