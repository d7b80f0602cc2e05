package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// epoch is the time stamp of every file and of the image itself, so that
// the digest depends only on content.
var epoch = time.Unix(0, 0).UTC()

// File is one entry of an image's single layer.
type File struct {
	// Path is the entry's path in the image, without a leading slash.
	Path string
	// Mode holds the permission bits and, for directories and links, the
	// type bits (fs.ModeDir, fs.ModeSymlink).
	Mode fs.FileMode
	// Source is a host file whose content the entry gets.
	Source string
	// Data is the entry's content when Source is empty.
	Data []byte
	// Link is a symbolic link's target.
	Link string
	// UID and GID own the entry; zero means root.
	UID, GID int
}

// Config is the part of an image's run configuration that Slipway sets.
type Config struct {
	Entrypoint []string
	Cmd        []string
	Env        []string
	User       string
	WorkingDir string
	Labels     map[string]string
}

// Build returns a single-layer OCI image holding files, for the platform
// of this process. The layer's entries are sorted by path and carry fixed
// owners and time stamps, and the image's dates are the Unix epoch, so the
// same files and config always give the same digest.
func Build(cfg Config, files []File) (v1.Image, error) {
	layerTar, err := tarLayer(files)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("make layer: %w", err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	base, err = mutate.ConfigFile(base, &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           runtime.GOOS,
		Created:      v1.Time{Time: epoch},
		Config: v1.Config{
			Entrypoint: cfg.Entrypoint,
			Cmd:        cfg.Cmd,
			Env:        cfg.Env,
			User:       cfg.User,
			WorkingDir: cfg.WorkingDir,
			Labels:     cfg.Labels,
		},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, fmt.Errorf("set image config: %w", err)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "slipway artifacts"},
	})
	if err != nil {
		return nil, fmt.Errorf("add layer: %w", err)
	}
	return mutate.CreatedAt(img, v1.Time{Time: epoch})
}

// tarLayer writes files, with their parent directories, as a tar stream in
// path order.
func tarLayer(files []File) ([]byte, error) {
	entries := map[string]File{}
	for _, f := range files {
		p := strings.Trim(path.Clean("/"+f.Path), "/")
		if p == "" {
			continue
		}
		f.Path = p
		entries[p] = f
		for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
			if _, ok := entries[d]; !ok {
				entries[d] = File{Path: d, Mode: fs.ModeDir | 0o755}
			}
		}
	}
	names := make([]string, 0, len(entries))
	for p := range entries {
		names = append(names, p)
	}
	sort.Strings(names)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range names {
		f := entries[p]
		hdr := &tar.Header{
			Name: p, Mode: int64(f.Mode.Perm()), Uid: f.UID, Gid: f.GID,
			ModTime: epoch, Format: tar.FormatPAX,
		}
		if f.Mode&fs.ModeSticky != 0 {
			hdr.Mode |= 0o1000
		}
		var data []byte
		switch {
		case f.Mode.IsDir():
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
		case f.Mode&fs.ModeSymlink != 0:
			hdr.Typeflag = tar.TypeSymlink
			hdr.Linkname = f.Link
		default:
			hdr.Typeflag = tar.TypeReg
			data = f.Data
			if f.Source != "" {
				var err error
				if data, err = os.ReadFile(f.Source); err != nil {
					return nil, fmt.Errorf("read %s for the image: %w", f.Source, err)
				}
			}
			hdr.Size = int64(len(data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("write %s to layer: %w", p, err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, fmt.Errorf("write %s to layer: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Pause returns the pause image around the static pause binary at binary.
// It runs as 65535:65535, like upstream's.
func Pause(binary string) (v1.Image, error) {
	return Build(Config{Entrypoint: []string{"/pause"}, User: "65535:65535", WorkingDir: "/"},
		[]File{{Path: "pause", Mode: 0o755, Source: binary}})
}

// CoreDNS returns the CoreDNS image around the static coredns binary at
// binary. Like upstream's, it exposes DNS and metrics and runs as root,
// which Kubernetes' CoreDNS manifest narrows with capabilities.
func CoreDNS(binary string) (v1.Image, error) {
	return Build(Config{Entrypoint: []string{"/coredns"}, WorkingDir: "/"}, []File{
		{Path: "coredns", Mode: 0o755, Source: binary},
		{Path: "etc/coredns", Mode: fs.ModeDir | 0o755},
		{Path: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		{Path: "etc/passwd", Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{Path: "etc/group", Mode: 0o644, Data: []byte("root:x:0:\nnonroot:x:65532:\n")},
	})
}

// Busybox returns a small test image: the static busybox at binary as
// /bin/busybox, a link for each applet, and a minimal /etc.
func Busybox(binary string, applets []string) (v1.Image, error) {
	files := []File{
		{Path: "bin/busybox", Mode: 0o755, Source: binary},
		{Path: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		{Path: "root", Mode: fs.ModeDir | 0o700},
		{Path: "proc", Mode: fs.ModeDir | 0o555},
		{Path: "sys", Mode: fs.ModeDir | 0o555},
		{Path: "dev", Mode: fs.ModeDir | 0o755},
		{Path: "var/www/index.html", Mode: 0o644, Data: []byte("hello from slipway busybox\n")},
		{Path: "etc/passwd", Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")},
		{Path: "etc/group", Mode: 0o644, Data: []byte("root:x:0:\nnobody:x:65534:\n")},
	}
	for _, a := range applets {
		if a == "" || a == "busybox" || strings.Contains(a, "/") {
			continue
		}
		files = append(files, File{Path: "bin/" + a, Mode: fs.ModeSymlink | 0o777, Link: "busybox"})
	}
	return Build(Config{Cmd: []string{"sh"}, Env: []string{"PATH=/bin"}, WorkingDir: "/"}, files)
}

// RefAnnotation is the OCI annotation that names an image in a layout.
const RefAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout writes img as the only image of a new OCI image layout in
// dir, annotated with ref.
func WriteLayout(dir string, img v1.Image, ref string) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("create image layout %s: %w", dir, err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{RefAnnotation: ref})); err != nil {
		return fmt.Errorf("write image %s to %s: %w", ref, dir, err)
	}
	return nil
}

// ReadLayout returns the first image of the OCI image layout in dir and
// the ref it is annotated with.
func ReadLayout(dir string) (v1.Image, string, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, "", fmt.Errorf("open image layout %s: %w", dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", fmt.Errorf("read image layout %s: %w", dir, err)
	}
	if len(im.Manifests) == 0 {
		return nil, "", fmt.Errorf("image layout %s is empty", dir)
	}
	d := im.Manifests[0]
	img, err := idx.Image(d.Digest)
	if err != nil {
		return nil, "", fmt.Errorf("read image %s from %s: %w", d.Digest, dir, err)
	}
	return img, d.Annotations[RefAnnotation], nil
}

// Size returns the total size of img's config and layers as stored.
func Size(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	n := m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}
