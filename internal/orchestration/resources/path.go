package resources

import (
	"fmt"

	"github.com/slipway/slipway/internal/orchestration/hot"
)

// LookupPath follows a get_attr path into stored attributes: the first
// element names the attribute, the rest select inside its value (see
// hot.SelectPath). A path that leads nowhere yields nil, as in Heat.
func LookupPath(attrs map[string]any, path []any) (any, error) {
	if len(path) == 0 {
		return attrs, nil
	}
	name, ok := path[0].(string)
	if !ok {
		return nil, fmt.Errorf("attribute name %v is not a string", path[0])
	}
	return hot.SelectPath(attrs[name], path[1:]), nil
}
