package node

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	"sigs.k8s.io/yaml"
)

// Content types of user_data parts, as cloud-init and Heat name them.
const (
	TypeShellScript = "text/x-shellscript"
	TypeCloudConfig = "text/cloud-config"
	// TypeCfnInitData parts are heat-cfntools data (cfn-userdata,
	// cfn-init-data, …) that Heat adds to HEAT_CFNTOOLS user_data.
	TypeCfnInitData = "text/x-cfninitdata"
	// TypeBootstrap is Slipway's bootstrap document.
	TypeBootstrap = "text/x-slipway-bootstrap"
)

// maxUserData bounds decompressed user_data, as a guard against a gzip bomb.
const maxUserData = 64 << 20

// Part is one piece of user_data with the content type that decides how it
// runs.
type Part struct {
	Type     string
	Filename string
	Content  []byte
}

// ErrUserData marks user_data that cannot be parsed.
var ErrUserData = errors.New("invalid user_data")

// ParseUserData splits user_data into parts: a MIME multipart message gives
// one part per leaf, anything else is one part typed by its first line (#!,
// #cloud-config) or, for a YAML or JSON document with `slipway_bootstrap`, a
// bootstrap document. Gzip-compressed user_data is decompressed first.
// Parts of types the agent does not run keep their MIME type, so the caller
// can report them.
func ParseUserData(data []byte) ([]Part, error) {
	return parseUserData(data, 0)
}

func parseUserData(data []byte, depth int) ([]Part, error) {
	if depth > 8 {
		return nil, fmt.Errorf("%w: MIME parts nested too deep", ErrUserData)
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", ErrUserData, err)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, maxUserData+1))
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", ErrUserData, err)
		}
		if len(plain) > maxUserData {
			return nil, fmt.Errorf("%w: more than %d bytes uncompressed", ErrUserData, maxUserData)
		}
		return parseUserData(plain, depth+1)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	if isMIME(data) {
		return parseMIME(data, depth)
	}
	return []Part{{Type: detectType(data), Content: data}}, nil
}

// isMIME reports whether data starts with MIME headers.
func isMIME(data []byte) bool {
	first := strings.ToLower(firstLine(data))
	return strings.HasPrefix(first, "content-type:") || strings.HasPrefix(first, "mime-version:")
}

func firstLine(data []byte) string {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	return strings.TrimSpace(string(line))
}

// detectType types a part by its content, as cloud-init does for
// text/plain parts.
func detectType(data []byte) string {
	first := firstLine(data)
	switch {
	case strings.HasPrefix(first, "#!"):
		return TypeShellScript
	case strings.HasPrefix(first, "#cloud-config-archive"):
		return "text/cloud-config-archive"
	case strings.HasPrefix(first, "#cloud-config"):
		return TypeCloudConfig
	case strings.HasPrefix(first, "#cloud-boothook"):
		return "text/cloud-boothook"
	case strings.HasPrefix(first, "#include"):
		return "text/x-include-url"
	case strings.HasPrefix(first, "#part-handler"):
		return "text/part-handler"
	case strings.HasPrefix(first, "#upstart-job"):
		return "text/upstart-job"
	case isBootstrap(data):
		return TypeBootstrap
	}
	return "text/plain"
}

// isBootstrap reports whether data is a YAML or JSON object with a
// slipway_bootstrap key.
func isBootstrap(data []byte) bool {
	if !bytes.Contains(data, []byte("slipway_bootstrap")) {
		return false
	}
	var probe map[string]any
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return false
	}
	_, ok := probe["slipway_bootstrap"]
	return ok
}

func parseMIME(data []byte, depth int) ([]Part, error) {
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: MIME headers: %w", ErrUserData, err)
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: MIME body: %w", ErrUserData, err)
	}
	return mimeEntity(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"),
		msg.Header.Get("Content-Disposition"), body, depth)
}

// mimeEntity turns one MIME entity (a whole message or a part) into parts.
func mimeEntity(ctype, encoding, disposition string, body []byte, depth int) ([]Part, error) {
	mediaType, params, err := mime.ParseMediaType(ctype)
	if ctype == "" {
		mediaType, params, err = "text/plain", nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: content type %q: %w", ErrUserData, ctype, err)
	}
	body, err = decodeTransfer(encoding, body)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			return nil, fmt.Errorf("%w: %s without a boundary", ErrUserData, mediaType)
		}
		mr := multipart.NewReader(bytes.NewReader(body), boundary)
		var parts []Part
		for {
			// NextRawPart keeps Content-Transfer-Encoding for decodeTransfer.
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return parts, nil
			}
			if err != nil {
				return nil, fmt.Errorf("%w: multipart: %w", ErrUserData, err)
			}
			content, err := io.ReadAll(p)
			if err != nil {
				return nil, fmt.Errorf("%w: multipart: %w", ErrUserData, err)
			}
			sub, err := mimeEntity(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"),
				p.Header.Get("Content-Disposition"), content, depth+1)
			if err != nil {
				return nil, err
			}
			parts = append(parts, sub...)
		}
	}
	filename := ""
	if disposition != "" {
		if _, dp, err := mime.ParseMediaType(disposition); err == nil {
			filename = dp["filename"]
		}
	}
	switch mediaType {
	case "text/plain", "text/x-not-multipart", "application/octet-stream":
		// Typed by content, and possibly compressed.
		sub, err := parseUserData(body, depth+1)
		if err != nil {
			return nil, err
		}
		for i := range sub {
			sub[i].Filename = filename
		}
		return sub, nil
	case "text/x-shellscript-per-boot", "text/x-shellscript-per-instance", "text/x-shellscript-per-once":
		mediaType = TypeShellScript
	case "text/cloud-config-jsonp", "text/jinja2":
		// Kept under their own type: not supported.
	}
	return []Part{{Type: mediaType, Filename: filename, Content: body}}, nil
}

func decodeTransfer(encoding string, body []byte) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "7bit", "8bit", "binary":
		return body, nil
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, body)
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			return nil, fmt.Errorf("%w: base64 part: %w", ErrUserData, err)
		}
		return out[:n], nil
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			return nil, fmt.Errorf("%w: quoted-printable part: %w", ErrUserData, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unknown transfer encoding %q", ErrUserData, encoding)
}
