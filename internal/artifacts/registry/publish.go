package registry

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// publishHost is the registry name Publish's client uses. Its requests
// never reach the network: a transport hands them to the distribution
// handlers in process.
const publishHost = "slipway.publish.invalid"

// Publish stores img in the registry under ref, such as
// "registry.k8s.io/pause:3.10.2" or "docker.io/library/busybox:1.35.0"
// (see SplitRef for where it lands). It writes through the distribution
// handlers in process, bypassing authentication, and skips blobs that are
// already stored, so publishing again is cheap.
func (r *Registry) Publish(ctx context.Context, ref string, img v1.Image) error {
	repo, tag, err := SplitRef(ref)
	if err != nil {
		return err
	}
	t, err := name.NewTag(publishHost+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		return fmt.Errorf("publish %s: %w", ref, err)
	}
	if err := remote.Write(t, img, remote.WithContext(ctx), remote.WithTransport(inProcess{r: r})); err != nil {
		return fmt.Errorf("publish %s: %w", ref, err)
	}
	d, _ := img.Digest()
	r.log.Info("published image", "ref", ref, "repository", repo, "digest", d.String())
	return nil
}

// inProcess is an http.RoundTripper that serves requests with the
// registry's distribution handlers, skipping authentication.
type inProcess struct{ r *Registry }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	srv := req.Clone(req.Context())
	srv.RequestURI = req.URL.RequestURI()
	srv.Host = req.URL.Host
	if srv.Body == nil {
		srv.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.r.forward(rec, srv)
	res := rec.Result()
	res.Request = req
	return res, nil
}
