package images

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func writeFile(t *testing.T, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBuildIsDeterministic(t *testing.T) {
	t.Parallel()
	bin := writeFile(t, "#!/bin/true\n")
	build := map[string]func() (v1.Image, error){
		"pause":   func() (v1.Image, error) { return Pause(bin) },
		"coredns": func() (v1.Image, error) { return CoreDNS(bin) },
		"busybox": func() (v1.Image, error) { return Busybox(bin, []string{"sh", "ls", "busybox", "wget"}) },
	}
	for name, b := range build {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, err := b()
			if err != nil {
				t.Fatal(err)
			}
			// Touch the source: time stamps must not matter.
			if err := os.Chtimes(bin, time.Now(), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			c, err := b()
			if err != nil {
				t.Fatal(err)
			}
			if digest(t, a) != digest(t, c) {
				t.Errorf("two builds from the same files differ: %s and %s", digest(t, a), digest(t, c))
			}
			m, err := a.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON || m.Layers[0].MediaType != types.OCILayer {
				t.Errorf("media types %s / %s / %s, want OCI", m.MediaType, m.Config.MediaType, m.Layers[0].MediaType)
			}
		})
	}
	other, err := Pause(writeFile(t, "#!/bin/false\n"))
	if err != nil {
		t.Fatal(err)
	}
	same, _ := Pause(bin)
	if digest(t, other) == digest(t, same) {
		t.Error("different content gave the same digest")
	}
}

func TestLayerEntries(t *testing.T) {
	t.Parallel()
	img, err := Busybox(writeFile(t, "bb"), []string{"sh", "ls"})
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	links := map[string]string{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(time.Unix(0, 0)) || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: mtime %v uid %d gid %d, want epoch and root", h.Name, h.ModTime, h.Uid, h.Gid)
		}
		if h.Typeflag == tar.TypeSymlink {
			links[h.Name] = h.Linkname
		}
		if h.Name == "tmp/" && fs.FileMode(h.Mode)&0o1777 != 0o1777 {
			t.Errorf("tmp mode %o, want 1777", h.Mode)
		}
		names = append(names, h.Name)
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Errorf("entries out of order: %q before %q", names[i-1], names[i])
		}
	}
	if links["bin/sh"] != "busybox" || links["bin/ls"] != "busybox" {
		t.Errorf("applet links = %v", links)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !cf.Created.Equal(time.Unix(0, 0)) || cf.Config.Cmd[0] != "sh" {
		t.Errorf("config = %+v", cf)
	}
}

func TestLayoutRoundTrip(t *testing.T) {
	t.Parallel()
	img, err := Pause(writeFile(t, "pause"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "oci")
	if err := WriteLayout(dir, img, "registry.k8s.io/pause:3.10.2"); err != nil {
		t.Fatal(err)
	}
	got, ref, err := ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ref != "registry.k8s.io/pause:3.10.2" || digest(t, got) != digest(t, img) {
		t.Errorf("read back %s %s, want %s", ref, digest(t, got), digest(t, img))
	}
	if n, err := Size(got); err != nil || n == 0 {
		t.Errorf("Size = %d, %v", n, err)
	}
}
