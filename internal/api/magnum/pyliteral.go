package magnum

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// parsePyLiteral parses the subset of Python literal syntax that clients
// send for map-valued patches: dicts, lists, single- or double-quoted
// strings, numbers, True, False and None. terraform sends "{'k':'v'}" and
// python-magnumclient sends str(dict).
func parsePyLiteral(s string) (any, error) {
	p := &pyParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.i:], p.i)
	}
	return v, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) space() {
	for p.i < len(p.s) && unicode.IsSpace(rune(p.s[p.i])) {
		p.i++
	}
}

func (p *pyParser) peek() byte {
	p.space()
	if p.i >= len(p.s) {
		return 0
	}
	return p.s[p.i]
}

func (p *pyParser) expect(c byte) error {
	if p.peek() != c {
		return fmt.Errorf("expected %q at offset %d", c, p.i)
	}
	p.i++
	return nil
}

func (p *pyParser) value() (any, error) {
	switch c := p.peek(); {
	case c == '{':
		return p.dict()
	case c == '[':
		return p.list('[', ']')
	case c == '(':
		return p.list('(', ')')
	case c == '\'' || c == '"':
		return p.str()
	case c == 0:
		return nil, fmt.Errorf("unexpected end of input")
	default:
		return p.word()
	}
}

func (p *pyParser) dict() (any, error) {
	p.i++
	out := map[string]any{}
	for {
		if p.peek() == '}' {
			p.i++
			return out, nil
		}
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out[fmt.Sprint(k)] = v
		if p.peek() == ',' {
			p.i++
		} else if p.peek() != '}' {
			return nil, fmt.Errorf("expected ',' or '}' at offset %d", p.i)
		}
	}
}

func (p *pyParser) list(open, closing byte) (any, error) {
	p.i++
	out := []any{}
	for {
		if p.peek() == closing {
			p.i++
			return out, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if p.peek() == ',' {
			p.i++
		} else if p.peek() != closing {
			return nil, fmt.Errorf("expected ',' or %q at offset %d", closing, p.i)
		}
	}
}

func (p *pyParser) str() (any, error) {
	quote := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\' && p.i+1 < len(p.s):
			p.i++
			switch e := p.s[p.i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
		case c == quote:
			p.i++
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
		p.i++
	}
	return nil, fmt.Errorf("unterminated string")
}

func (p *pyParser) word() (any, error) {
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(",:}]) \t\n", rune(p.s[p.i])) {
		p.i++
	}
	w := p.s[start:p.i]
	switch w {
	case "True":
		return true, nil
	case "False":
		return false, nil
	case "None":
		return nil, nil
	}
	if n, err := strconv.ParseFloat(w, 64); err == nil {
		return n, nil
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", w, start)
}
