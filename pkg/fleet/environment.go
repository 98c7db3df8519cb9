package fleet

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bargehq/barge/pkg/chart/values"
)

// DefaultEnvironment is the environment Expand uses when none is named;
// the file need not define it.
const DefaultEnvironment = "default"

// environment chooses the environment name (DefaultEnvironment when
// empty) and returns its values: its values files (templates when their
// names end in .gotmpl, seeing .Fleet and .Environment.name) and inline
// maps, merged in order.
func (x *expander) environment(name string) (map[string]any, error) {
	if name == "" {
		name = DefaultEnvironment
	}
	x.env = name
	envs := x.file.Environments
	spec, ok := envs[name]
	if !ok {
		switch {
		case name == DefaultEnvironment:
			return map[string]any{}, nil
		case len(envs) == 0:
			return nil, fmt.Errorf("environment %q: the fleet file defines no environments; define it in the environments list", name)
		}
		return nil, fmt.Errorf("environment %q: the fleet file does not define it; it defines %s", name, strings.Join(slices.Sorted(maps.Keys(envs)), ", "))
	}
	data := map[string]any{
		"Fleet":       map[string]any{"name": x.file.Metadata.Name},
		"Environment": map[string]any{"name": name},
	}
	vals := map[string]any{}
	for i, v := range spec.Values {
		field := fmt.Sprintf("environments.%s.values[%d]", name, i)
		switch v := v.(type) {
		case string:
			m, err := x.valuesFile(x.file.resolve(v), data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
			vals = mergeValues(vals, m)
		case map[string]any:
			vals = mergeValues(vals, values.Copy(v))
		}
	}
	return vals, nil
}
