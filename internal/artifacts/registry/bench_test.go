package registry_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway/slipway/internal/artifacts/registry/registrytest"
)

// BenchmarkPush100MiB pushes a fresh one-layer 100 MiB image over loopback
// with basic auth, as a user of the project. Run with
//
//	go test -run '^$' -bench . -benchtime 3x ./internal/artifacts/registry/
func BenchmarkPush100MiB(b *testing.B) {
	f := registrytest.New(b)
	ctx := b.Context()
	b.SetBytes(100 << 20)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		img, err := random.Image(100<<20, 1)
		if err != nil {
			b.Fatal(err)
		}
		// Compress before the clock runs: the push is measured, not gzip.
		if _, err := img.Digest(); err != nil {
			b.Fatal(err)
		}
		layers, _ := img.Layers()
		if _, err := layers[0].Digest(); err != nil {
			b.Fatal(err)
		}
		r := ref(b, f, fmt.Sprintf("alpha/big:%d", i))
		b.StartTimer()
		if err := remote.Write(r, img, as(ctx, f, "alice")...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPull100MiB pulls a 100 MiB image's manifest, config and layer
// over loopback with basic auth.
func BenchmarkPull100MiB(b *testing.B) {
	f := registrytest.New(b)
	ctx := b.Context()
	img, err := random.Image(100<<20, 1)
	if err != nil {
		b.Fatal(err)
	}
	r := ref(b, f, "alpha/big:1")
	if err := remote.Write(r, img, as(ctx, f, "alice")...); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(100 << 20)
	for b.Loop() {
		got, err := remote.Image(r, as(ctx, f, "alice")...)
		if err != nil {
			b.Fatal(err)
		}
		layers, err := got.Layers()
		if err != nil {
			b.Fatal(err)
		}
		rc, err := layers[0].Compressed()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		_ = rc.Close()
	}
}
