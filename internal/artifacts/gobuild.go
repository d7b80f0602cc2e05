package artifacts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// goModule is a small generated module that builds binaries from modules
// on the Go module proxy.
type goModule struct {
	// requires are "module version" lines.
	requires []string
	// replaces are "old => new version" lines.
	replaces []string
	// tools are packages, main ones included, that tools.go imports so that
	// go mod tidy keeps their modules.
	tools []string
	// files are extra source files, by name.
	files map[string]string
	// tags are build tags.
	tags []string
	// binaries are the binaries to build, in order.
	binaries []goBinary
}

// goBinary is one `go build` of a main package.
type goBinary struct {
	pkg     string
	out     string   // file name under bin/
	ldflags []string // besides -s -w
}

// generatedModulePath is the module path of every generated module.
const generatedModulePath = "slipway.local/artifact"

// build writes the module into a scratch directory, tidies it and builds
// each binary into out/bin.
func (g goModule) build(ctx context.Context, c *Cache, out string) error {
	gt, err := c.goTool(ctx)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Join(c.dir, tmpDir), "work-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	var mod strings.Builder
	fmt.Fprintf(&mod, "module %s\n\ngo %s\n", generatedModulePath, goDirective(gt.version))
	if len(g.requires) > 0 {
		mod.WriteString("\nrequire (\n")
		for _, r := range g.requires {
			fmt.Fprintf(&mod, "\t%s\n", r)
		}
		mod.WriteString(")\n")
	}
	if len(g.replaces) > 0 {
		mod.WriteString("\nreplace (\n")
		for _, r := range g.replaces {
			fmt.Fprintf(&mod, "\t%s\n", r)
		}
		mod.WriteString(")\n")
	}
	files := map[string]string{"go.mod": mod.String()}
	if len(g.tools) > 0 {
		var t strings.Builder
		t.WriteString("//go:build tools\n\n// Package tools keeps the modules of the binaries Slipway builds.\npackage tools\n\nimport (\n")
		for _, p := range g.tools {
			fmt.Fprintf(&t, "\t_ %q\n", p)
		}
		t.WriteString(")\n")
		files["tools.go"] = t.String()
	}
	for name, src := range g.files {
		files[name] = src
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	if _, err := gt.run(ctx, work, nil, "mod", "tidy"); err != nil {
		return err
	}
	bin := filepath.Join(out, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	for _, b := range g.binaries {
		args := []string{"build", "-trimpath", "-o", filepath.Join(bin, b.out)}
		if len(g.tags) > 0 {
			args = append(args, "-tags", strings.Join(g.tags, ","))
		}
		args = append(args, "-ldflags", strings.Join(append([]string{"-s", "-w"}, b.ldflags...), " "), b.pkg)
		if _, err := gt.run(ctx, work, nil, args...); err != nil {
			return err
		}
	}
	return nil
}

// goDirective turns "go1.26.8" into the "1.26" a go.mod wants. Anything
// unexpected gives "1.26", the oldest Go this code supports.
func goDirective(v string) string {
	v = strings.TrimPrefix(v, "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return "1.26"
	}
	return parts[0] + "." + strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
}

// moduleInfo is what `go mod download -json` says about a module version.
type moduleInfo struct {
	Path    string
	Version string
	Error   string
	Info    string
	GoMod   string
	Dir     string
	Sum     string
	// Time is the version's time, read from the Info file.
	Time time.Time `json:"-"`
}

// errModuleDownload is a module version the proxy does not serve.
var errModuleDownload = errors.New("module not available")

// downloadModule fetches path@version into the module cache and returns
// where it is. A version the proxy does not have fails with the proxy's
// answer.
func downloadModule(ctx context.Context, c *Cache, path, version string) (*moduleInfo, error) {
	gt, err := c.goTool(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(filepath.Join(c.dir, tmpDir), "download-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out, runErr := gt.run(ctx, dir, nil, "mod", "download", "-json", path+"@"+version)
	var mi moduleInfo
	if len(bytes.TrimSpace(out)) > 0 {
		if err := json.Unmarshal(out, &mi); err != nil && runErr == nil {
			return nil, fmt.Errorf("go mod download %s@%s: %w", path, version, err)
		}
	}
	if mi.Error != "" {
		return nil, &toolError{Command: "go mod download " + path + "@" + version, Output: mi.Error, Err: errModuleDownload}
	}
	if runErr != nil {
		// With -json the go command reports module errors on stdout, which
		// run does not keep; the JSON was handled above.
		return nil, runErr
	}
	if mi.Info != "" {
		var info struct{ Time time.Time }
		if data, err := os.ReadFile(mi.Info); err == nil && json.Unmarshal(data, &info) == nil {
			mi.Time = info.Time.UTC()
		}
	}
	return &mi, nil
}
