package resources

import "github.com/slipway/slipway/internal/orchestration/hot"

// PropOption sets one aspect of a property schema.
type PropOption func(*hot.PropertySchema)

// Required makes a property mandatory.
func Required() PropOption { return func(p *hot.PropertySchema) { p.Required = true } }

// Default gives a property a default value.
func Default(v any) PropOption { return func(p *hot.PropertySchema) { p.Default = v } }

// Updatable lets a property change in place; other changes replace the
// resource.
func Updatable() PropOption { return func(p *hot.PropertySchema) { p.UpdateAllowed = true } }

// OneOf restricts a property to the given values.
func OneOf(vals ...any) PropOption {
	return func(p *hot.PropertySchema) { p.AllowedValues = vals }
}

// Keys describes the keys of a map property.
func Keys(keys map[string]hot.PropertySchema) PropOption {
	return func(p *hot.PropertySchema) { p.Schema = keys }
}

// Items describes the items of a list property.
func Items(item hot.PropertySchema) PropOption {
	return func(p *hot.PropertySchema) { p.Items = &item }
}

func prop(typ string, opts []PropOption) hot.PropertySchema {
	p := hot.PropertySchema{Type: typ}
	for _, o := range opts {
		o(&p)
	}
	return p
}

// String is a string property.
func String(opts ...PropOption) hot.PropertySchema { return prop(hot.PropString, opts) }

// Integer is an integer property.
func Integer(opts ...PropOption) hot.PropertySchema { return prop(hot.PropInteger, opts) }

// Number is a number property.
func Number(opts ...PropOption) hot.PropertySchema { return prop(hot.PropNumber, opts) }

// Boolean is a boolean property.
func Boolean(opts ...PropOption) hot.PropertySchema { return prop(hot.PropBoolean, opts) }

// List is a list property.
func List(opts ...PropOption) hot.PropertySchema { return prop(hot.PropList, opts) }

// Map is a map property.
func Map(opts ...PropOption) hot.PropertySchema { return prop(hot.PropMap, opts) }

// Any is a property of any type.
func Any(opts ...PropOption) hot.PropertySchema { return prop(hot.PropAny, opts) }

// Attrs builds an attribute map from name, description pairs.
func Attrs(pairs ...string) map[string]string {
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}
