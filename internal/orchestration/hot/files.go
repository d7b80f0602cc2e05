package hot

import (
	"path"
	"sort"
	"strings"
)

// LookupFile finds a file in a request's files map. heatclient uploads
// files under absolute URLs (file:///home/u/tmpl/fragments/a.sh) and
// rewrites the template to use the same keys, but a template may also name
// a file relatively (fragments/a.sh, ../common/net.yaml) or by the URL of
// another machine. LookupFile tries, in order: the exact key; the key with
// "file://" removed and the path cleaned; and a unique key whose path ends
// with the name's path (without its leading "./" and "../" parts). It
// returns the key it matched.
func LookupFile(files map[string]string, name string) (content, key string, ok bool) {
	return lookupFile(files, name, "")
}

// lookupFile is LookupFile for a name found in the template at location
// base: a relative name is first resolved against base, as heatclient does.
func lookupFile(files map[string]string, name, base string) (content, key string, ok bool) {
	if c, ok := files[name]; ok {
		return c, name, true
	}
	if name == "" {
		return "", "", false
	}
	if base != "" && !strings.Contains(name, "://") && !strings.HasPrefix(name, "/") {
		joined := normalizeFileName(path.Join(path.Dir(normalizeFileName(base)), name))
		for k := range files {
			if normalizeFileName(k) == joined {
				return files[k], k, true
			}
		}
	}
	want := normalizeFileName(name)
	var exact, suffix []string
	tail := strings.TrimLeft(stripDotDot(want), "/")
	for k := range files {
		nk := normalizeFileName(k)
		switch {
		case nk == want:
			exact = append(exact, k)
		case tail != "" && (nk == tail || strings.HasSuffix(nk, "/"+tail)):
			suffix = append(suffix, k)
		}
	}
	for _, cands := range [][]string{exact, suffix} {
		if len(cands) == 1 {
			return files[cands[0]], cands[0], true
		}
		if len(cands) > 1 {
			sort.Strings(cands)
			// Ambiguous: several uploaded files end the same way.
			return "", "", false
		}
	}
	return "", "", false
}

func normalizeFileName(name string) string {
	n := strings.TrimPrefix(name, "file://")
	if i := strings.Index(n, "://"); i >= 0 {
		// Keep the path of other URLs (http://host/dir/x.yaml → /dir/x.yaml).
		rest := n[i+3:]
		if j := strings.Index(rest, "/"); j >= 0 {
			n = rest[j:]
		} else {
			n = "/"
		}
	}
	if n == "" {
		return n
	}
	return path.Clean(n)
}

func stripDotDot(p string) string {
	for {
		switch {
		case strings.HasPrefix(p, "../"):
			p = p[3:]
		case strings.HasPrefix(p, "./"):
			p = p[2:]
		default:
			return p
		}
	}
}
