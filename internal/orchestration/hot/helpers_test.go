package hot

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/model"
)

// y decodes a YAML snippet into a plain value, for readable test tables.
func y(t testing.TB, s string) any {
	t.Helper()
	v, err := decodeYAML([]byte(s))
	if err != nil {
		t.Fatalf("bad test YAML %q: %v", s, err)
	}
	return plain(v)
}

// fakeResolver answers get_resource and get_attr from maps.
type fakeResolver struct {
	ids   map[string]string
	attrs map[string]map[string]any
}

func (f fakeResolver) ResourceID(name string) (string, error) {
	id, ok := f.ids[name]
	if !ok {
		return "", fmt.Errorf("resource %s does not exist", name)
	}
	return id, nil
}

func (f fakeResolver) Attribute(name string, path []any) (any, error) {
	attrs, ok := f.attrs[name]
	if !ok {
		return nil, fmt.Errorf("resource %s does not exist", name)
	}
	if len(path) == 0 {
		return attrs, nil
	}
	v, ok := attrs[path[0].(string)]
	if !ok {
		return nil, fmt.Errorf("resource %s has no attribute %v", name, path[0])
	}
	return SelectPath(v, path[1:]), nil
}

// checkErr asserts that err is an *Error with the given text (path: msg),
// or, when want is empty, that there is no error.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !errors.Is(err, model.ErrInvalid) {
		t.Errorf("error %v does not wrap model.ErrInvalid", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error\n  %v\nwant it to contain\n  %s", err, want)
	}
}

func checkValue(t *testing.T, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}
