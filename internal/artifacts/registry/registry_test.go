package registry_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/slipway/slipway/internal/artifacts/images"
	"github.com/slipway/slipway/internal/artifacts/registry"
	"github.com/slipway/slipway/internal/artifacts/registry/registrytest"
	"github.com/slipway/slipway/internal/identity"
)

// as returns go-containerregistry options that authenticate as user, or
// anonymously for "".
func as(ctx context.Context, f *registrytest.Fixture, user string) []remote.Option {
	opts := []remote.Option{remote.WithContext(ctx)}
	if user == "" {
		return append(opts, remote.WithAuth(authn.Anonymous))
	}
	u := f.Users[user]
	return append(opts, remote.WithAuth(&authn.Basic{Username: u.Name, Password: u.Password}))
}

func ref(t testing.TB, f *registrytest.Fixture, repo string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(f.Host+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// status returns the HTTP status of a go-containerregistry error, 0 for
// success.
func status(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var te *transport.Error
	if !errors.As(err, &te) {
		t.Fatalf("not a registry error: %v", err)
	}
	return te.StatusCode
}

// TestCraneRoundTrip pushes and pulls with go-containerregistry, as crane
// does, and checks who may do what.
func TestCraneRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := registrytest.New(t)
	img := randomImage(t)
	want, _ := img.Digest()

	if err := remote.Write(ref(t, f, "alpha/app:v1"), img, as(ctx, f, "alice")...); err != nil {
		t.Fatalf("alice pushes to her project: %v", err)
	}
	got, err := remote.Image(ref(t, f, "alpha/app:v1"), as(ctx, f, "alice")...)
	if err != nil {
		t.Fatalf("alice pulls from her project: %v", err)
	}
	if d, _ := got.Digest(); d != want {
		t.Errorf("pulled %s, pushed %s", d, want)
	}
	if _, err := remote.Image(ref(t, f, "alpha/app:v1"), as(ctx, f, "rita")...); err != nil {
		t.Errorf("a reader of alpha pulls: %v", err)
	}

	tests := []struct {
		name, user, repo string
		push             bool
		want             int
	}{
		{"reader may not push", "rita", "alpha/app:v2", true, http.StatusForbidden},
		{"other project may not pull", "bob", "alpha/app:v1", false, http.StatusForbidden},
		{"other project may not push", "bob", "alpha/evil:v1", true, http.StatusForbidden},
		{"anonymous may not pull a private repository", "", "alpha/app:v1", false, http.StatusUnauthorized},
		{"anonymous may not push", "", "alpha/app:v3", true, http.StatusUnauthorized},
		{"member may not push to library", "alice", "library/tool:1", true, http.StatusForbidden},
		{"member may not push outside a project", "alice", "tool:1", true, http.StatusForbidden},
		{"member may not push to a mirror", "alice", "registry.k8s.io/pause:3.10.2", true, http.StatusForbidden},
		{"unknown project", "alice", "gamma/app:v1", false, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.push {
				err = remote.Write(ref(t, f, tt.repo), randomImage(t), as(ctx, f, tt.user)...)
			} else {
				_, err = remote.Image(ref(t, f, tt.repo), as(ctx, f, tt.user)...)
			}
			if got := status(t, err); got != tt.want {
				t.Errorf("status %d, want %d (%v)", got, tt.want, err)
			}
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		_, err := remote.Image(ref(t, f, "alpha/app:v1"), remote.WithContext(ctx),
			remote.WithAuth(&authn.Basic{Username: "alice", Password: "nope"}))
		if got := status(t, err); got != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", got)
		}
	})
}

// TestErrorsFollowTheSpec checks raw responses: the challenge header and
// the error codes of the distribution spec.
func TestErrorsFollowTheSpec(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := registrytest.New(t)
	if err := remote.Write(ref(t, f, "alpha/app:v1"), randomImage(t), as(ctx, f, "alice")...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, method, path string
		want                     int
		code                     string
	}{
		{"base anonymous", "", "GET", "/v2/", 401, "UNAUTHORIZED"},
		{"base with credentials", "bob", "GET", "/v2/", 200, ""},
		{"private manifest anonymous", "", "GET", "/v2/alpha/app/manifests/v1", 401, "UNAUTHORIZED"},
		{"private manifest other project", "bob", "GET", "/v2/alpha/app/manifests/v1", 403, "DENIED"},
		{"private tags other project", "bob", "GET", "/v2/alpha/app/tags/list", 403, "DENIED"},
		{"missing manifest own project", "alice", "GET", "/v2/alpha/app/manifests/v9", 404, "MANIFEST_UNKNOWN"},
		{"missing repository own project", "alice", "GET", "/v2/alpha/nothing/tags/list", 404, "NAME_UNKNOWN"},
		{"delete by reader", "rita", "DELETE", "/v2/alpha/app/manifests/v1", 403, "DENIED"},
		{"public missing anonymous", "", "GET", "/v2/library/none/manifests/1", 404, "MANIFEST_UNKNOWN"},
		{"not an API path", "alice", "GET", "/v2/alpha", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx, tt.method, f.URL+tt.path, nil)
			if tt.user != "" {
				req.SetBasicAuth(tt.user, f.Users[tt.user].Password)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tt.want {
				t.Errorf("status %d, want %d", res.StatusCode, tt.want)
			}
			if tt.want == 401 && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic realm=") {
				t.Errorf("WWW-Authenticate = %q, want a Basic challenge", res.Header.Get("WWW-Authenticate"))
			}
			if tt.code != "" {
				var body struct{ Errors []struct{ Code string } }
				if err := json.NewDecoder(res.Body).Decode(&body); err != nil || len(body.Errors) == 0 || body.Errors[0].Code != tt.code {
					t.Errorf("error body %+v (%v), want code %s", body, err, tt.code)
				}
			}
		})
	}
}

// TestCrossRepositoryMountNeedsRead stops a project from mounting another
// project's blob into its own repository by digest.
func TestCrossRepositoryMountNeedsRead(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := registrytest.New(t)
	img := randomImage(t)
	if err := remote.Write(ref(t, f, "alpha/app:v1"), img, as(ctx, f, "alice")...); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	d, _ := layers[0].Digest()
	req, _ := http.NewRequestWithContext(ctx, "POST", f.URL+"/v2/beta/stolen/blobs/uploads/?mount="+d.String()+"&from=alpha/app", nil)
	req.SetBasicAuth("bob", f.Users["bob"].Password)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("mount from another project: status %d, want 403", res.StatusCode)
	}
}

// TestLibraryAndMirrors publishes images under upstream names and pulls
// them anonymously the way containerd does as a mirror.
func TestLibraryAndMirrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := registrytest.New(t)
	pause, busybox := randomImage(t), randomImage(t)
	if err := f.Registry.Publish(ctx, "registry.k8s.io/pause:3.10.2", pause); err != nil {
		t.Fatal(err)
	}
	if err := f.Registry.Publish(ctx, "docker.io/library/busybox:1.35.0", busybox); err != nil {
		t.Fatal(err)
	}
	// Publishing again is a no-op that succeeds.
	if err := f.Registry.Publish(ctx, "registry.k8s.io/pause:3.10.2", pause); err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref(t, f, "library/tool:1"), randomImage(t), as(ctx, f, "admin")...); err != nil {
		t.Errorf("admin pushes to library: %v", err)
	}

	pd, _ := pause.Digest()
	bd, _ := busybox.Digest()
	tests := []struct {
		name, path, ns string
		want           v1.Hash
	}{
		{"registry.k8s.io mirror", "/v2/pause/manifests/3.10.2", "registry.k8s.io", pd},
		{"docker.io mirror", "/v2/library/busybox/manifests/1.35.0", "docker.io", bd},
		{"slipway's own name", "/v2/library/busybox/manifests/1.35.0", "", bd},
		{"stored name", "/v2/registry.k8s.io/pause/manifests/3.10.2", "", pd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := f.URL + tt.path
			if tt.ns != "" {
				u += "?ns=" + tt.ns
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
			req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("Docker-Content-Digest") != tt.want.String() {
				t.Errorf("anonymous GET %s: status %d digest %s, want 200 %s", u, res.StatusCode, res.Header.Get("Docker-Content-Digest"), tt.want)
			}
		})
	}

	t.Run("catalog", func(t *testing.T) {
		if err := remote.Write(ref(t, f, "beta/secret:1"), randomImage(t), as(ctx, f, "bob")...); err != nil {
			t.Fatal(err)
		}
		cat := func(user string) []string {
			reg, _ := name.NewRegistry(f.Host, name.Insecure)
			repos, err := remote.Catalog(ctx, reg, as(ctx, f, user)...)
			if err != nil {
				t.Fatal(err)
			}
			return repos
		}
		alice := cat("alice")
		if slices.Contains(alice, "beta/secret") || !slices.Contains(alice, "library/busybox") || !slices.Contains(alice, "registry.k8s.io/pause") {
			t.Errorf("alice's catalog = %v", alice)
		}
		if admin := cat("admin"); !slices.Contains(admin, "beta/secret") {
			t.Errorf("admin's catalog = %v", admin)
		}
	})
}

// TestApplicationCredential authenticates with an application credential's
// id and secret.
func TestApplicationCredential(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := registrytest.New(t)
	_, creds, _, err := f.Identity.Authenticate(ctx, identity.AuthRequest{
		Methods:  []string{identity.MethodPassword},
		Password: &identity.PasswordAuth{User: identity.UserRef{Name: "alice"}, Password: f.Users["alice"].Password},
	})
	if err != nil {
		t.Fatal(err)
	}
	ac, secret, err := f.Identity.CreateApplicationCredential(ctx, creds, creds.UserID, identity.AppCredCreate{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	auth := remote.WithAuth(&authn.Basic{Username: ac.UUID, Password: secret})
	if err := remote.Write(ref(t, f, "alpha/ci:1"), randomImage(t), remote.WithContext(ctx), auth); err != nil {
		t.Errorf("push with an application credential: %v", err)
	}
	_, err = remote.Image(ref(t, f, "beta/x:1"), remote.WithContext(ctx), auth)
	if got := status(t, err); got != http.StatusForbidden {
		t.Errorf("application credential of alpha on beta: status %d, want 403", got)
	}
}

// TestGarbageCollect deletes a manifest and collects its blobs.
func TestGarbageCollect(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := registrytest.New(t)
	big, err := random.Image(4<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref(t, f, "alpha/big:1"), big, as(ctx, f, "alice")...); err != nil {
		t.Fatal(err)
	}
	d, _ := big.Digest()
	if err := remote.Delete(ref(t, f, "alpha/big@"+d.String()), as(ctx, f, "alice")...); err != nil {
		t.Fatal(err)
	}
	gc := func(user string) *http.Response {
		req, _ := http.NewRequestWithContext(ctx, "POST", f.URL+registry.GCPath, nil)
		if user != "" {
			req.SetBasicAuth(user, f.Users[user].Password)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for user, want := range map[string]int{"": 401, "alice": 403} {
		res := gc(user)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GC by %q: status %d, want %d", user, res.StatusCode, want)
		}
	}
	resp := gc("admin")
	defer resp.Body.Close()
	var res registry.GCResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GC by admin: %d %v", resp.StatusCode, err)
	}
	if res.BytesBefore-res.BytesAfter < 4<<20 {
		t.Errorf("GC freed %d bytes, want the 4 MiB layer", res.BytesBefore-res.BytesAfter)
	}
	if _, err := remote.Image(ref(t, f, "alpha/big:1"), as(ctx, f, "alice")...); status(t, err) != http.StatusNotFound {
		t.Errorf("deleted image still pulls: %v", err)
	}
}

// TestSkopeo copies an image into a project with basic auth and back out,
// with Debian's skopeo.
func TestSkopeo(t *testing.T) {
	t.Parallel()
	skopeo, err := exec.LookPath("skopeo")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("skopeo is missing: apt-get install skopeo")
		}
		t.Skip("skopeo not installed (apt-get install skopeo)")
	}
	ctx := t.Context()
	f := registrytest.New(t)
	data := make([]byte, 1<<20)
	_, _ = rand.Read(data)
	img, err := images.Build(images.Config{Cmd: []string{"/data"}}, []images.File{{Path: "data", Mode: 0o644, Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	src := filepath.Join(t.TempDir(), "src")
	if err := images.WriteLayout(src, img, "latest"); err != nil {
		t.Fatal(err)
	}
	alice := f.Users["alice"]
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, skopeo, append([]string{"--insecure-policy"}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	dest := "docker://" + f.Host + "/alpha/skopeo:1"
	if out, err := run("copy", "--dest-tls-verify=false", "--dest-creds", alice.Name+":"+alice.Password, "oci:"+src+":latest", dest); err != nil {
		t.Fatalf("skopeo copy in: %v\n%s", err, out)
	}
	back := filepath.Join(t.TempDir(), "back")
	if out, err := run("copy", "--src-tls-verify=false", "--src-creds", alice.Name+":"+alice.Password, dest, "oci:"+back+":copy"); err != nil {
		t.Fatalf("skopeo copy out: %v\n%s", err, out)
	}
	got, _, err := images.ReadLayout(back)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := got.Digest(); d != want {
		t.Errorf("copied back %s, want %s", d, want)
	}

	bob := f.Users["bob"]
	if out, err := run("inspect", "--tls-verify=false", "--creds", bob.Name+":"+bob.Password, dest); err == nil {
		t.Errorf("bob inspected alpha's image:\n%s", out)
	}
	if out, err := run("inspect", "--tls-verify=false", "--no-creds", dest); err == nil {
		t.Errorf("anonymous inspected alpha's image:\n%s", out)
	}
}

func TestSplitRef(t *testing.T) {
	t.Parallel()
	tests := []struct{ ref, repo, tag string }{
		{"registry.k8s.io/pause:3.10.2", "registry.k8s.io/pause", "3.10.2"},
		{"registry.k8s.io/coredns/coredns:v1.14.6", "registry.k8s.io/coredns/coredns", "v1.14.6"},
		{"docker.io/library/busybox:1.35.0", "library/busybox", "1.35.0"},
		{"docker.io/busybox", "library/busybox", "latest"},
		{"docker.io/someone/tool:1", "docker.io/someone/tool", "1"},
		{"library/busybox:1.35", "library/busybox", "1.35"},
		{"alpha/app:v1", "alpha/app", "v1"},
		{"localhost:5000/alpha/app:v1", "localhost:5000/alpha/app", "v1"},
	}
	for _, tt := range tests {
		repo, tag, err := registry.SplitRef(tt.ref)
		if err != nil || repo != tt.repo || tag != tt.tag {
			t.Errorf("SplitRef(%q) = %q, %q, %v; want %q, %q", tt.ref, repo, tag, err, tt.repo, tt.tag)
		}
	}
}
