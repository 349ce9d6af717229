package experiment

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/nswasi/nswasi/internal/cli"
	"github.com/nswasi/nswasi/internal/usage"
)

// scalar is implemented by the unit-bearing types (Size, Duration, …),
// which parse their own text.
type scalar interface{ parse(s string) error }

// decoder maps YAML nodes onto the Experiment types strictly: every key
// must name a field, every value must have the field's type. The yaml
// package's own strict mode names neither the file nor the field path.
type decoder struct{ file string }

func (d decoder) errorf(n *yaml.Node, path, format string, args ...any) error {
	if path == "" {
		path = "(top level)"
	}
	return usage.BadInput("%s:%d: %s: %s", d.file, n.Line, path, fmt.Sprintf(format, args...))
}

func (d decoder) decode(n *yaml.Node, out any, path string) error {
	return d.value(n, reflect.ValueOf(out).Elem(), path)
}

func (d decoder) value(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if s, ok := v.Addr().Interface().(scalar); ok {
		if n.Kind != yaml.ScalarNode {
			return d.errorf(n, path, "want a single value, got %s", kindName(n))
		}
		if err := s.parse(n.Value); err != nil {
			return d.errorf(n, path, "%v", err)
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Tag == "!!null" {
			return nil
		}
		v.Set(reflect.New(v.Type().Elem()))
		return d.value(n, v.Elem(), path)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Tag == "!!null" {
				return nil
			}
			return d.errorf(n, path, "want a mapping of keys, got %s", kindName(n))
		}
		fields := map[string]int{}
		var names []string
		for i := 0; i < v.NumField(); i++ {
			tag := strings.Split(v.Type().Field(i).Tag.Get("yaml"), ",")[0]
			fields[tag] = i
			names = append(names, tag)
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := k.Value
			p := join(path, key)
			fi, ok := fields[key]
			if !ok {
				return d.errorf(k, p, "unknown key (known here: %s)", strings.Join(names, ", "))
			}
			if seen[key] {
				return d.errorf(k, p, "key given twice")
			}
			seen[key] = true
			if err := d.value(val, v.Field(fi), p); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return d.errorf(n, path, "want a list, got %s", kindName(n))
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			return d.errorf(n, path, "want a string, got %s", kindName(n))
		}
		v.SetString(n.Value)
		return nil
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			return d.errorf(n, path, "want a whole number, got %s", kindName(n))
		}
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil || i != int64(int32(i)) {
			return d.errorf(n, path, "%q: not a whole number in range", n.Value)
		}
		v.SetInt(i)
		return nil
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return d.errorf(n, path, "want true or false, got %s", kindName(n))
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
		return nil
	}
	return d.errorf(n, path, "internal: cannot decode into %s", v.Type())
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!int":
		return "the number " + n.Value
	case "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("%q", n.Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// lineOf finds the line of the node at a field path like "bench.sizes[2]",
// or of the deepest part of it that exists (a default has no line of its own).
func lineOf(root *yaml.Node, path string) int {
	n := root
	for _, part := range strings.Split(path, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			name = part[:i]
			idx, _ = strconv.Atoi(strings.TrimSuffix(part[i+1:], "]"))
		}
		next := (*yaml.Node)(nil)
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == name {
					next = n.Content[i+1]
				}
			}
		}
		if next == nil {
			return n.Line
		}
		n = next
		if idx >= 0 && n.Kind == yaml.SequenceNode && idx < len(n.Content) {
			n = n.Content[idx]
		}
	}
	return n.Line
}

// Size is a byte count: 4096, "4KiB", "1MiB", "64K" (K means KiB).
type Size int

func (s *Size) parse(v string) error {
	n, err := cli.ParseSize(v) // the grammar of --sizes, so a size reads the same in both
	if err != nil {
		return err
	}
	*s = Size(n)
	return nil
}

// MarshalYAML writes a Size as a plain number of bytes.
func (s Size) MarshalYAML() (any, error) { return int(s), nil }

// Duration is a Go duration string: "500ms", "2s".
type Duration time.Duration

func (d *Duration) parse(v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q: want a duration such as 500ms or 2s", v)
	}
	*d = Duration(x)
	return nil
}

// MarshalYAML writes a Duration as Go duration text.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Rate is a bit rate in bits per second: "100mbit", "1gbit", "500kbit".
type Rate int64

func (r *Rate) parse(v string) error {
	n, err := cli.ParseQuantity(v, map[string]float64{"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9})
	if err != nil || n < 8 {
		return fmt.Errorf("%q: want a rate such as 100mbit or 1gbit", v)
	}
	*r = Rate(n)
	return nil
}

// MarshalYAML writes a Rate in whole bits with the largest exact unit.
func (r Rate) MarshalYAML() (any, error) { return fmt.Sprintf("%dbit", int64(r)), nil }

// Percent is a percentage from 0 to 100: "1%", "0.5%".
type Percent float64

func (p *Percent) parse(v string) error {
	x, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), "%"), 64)
	if err != nil || x < 0 || x > 100 {
		return fmt.Errorf("%q: want a percentage from 0%% to 100%%", v)
	}
	*p = Percent(x)
	return nil
}

// MarshalYAML writes a Percent with its sign.
func (p Percent) MarshalYAML() (any, error) {
	return strconv.FormatFloat(float64(p), 'g', -1, 64) + "%", nil
}
