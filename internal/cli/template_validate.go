package cli

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/bargehq/barge/pkg/chart/render"
)

// validateMappings checks that the cluster serves the kind of every
// manifest, as Helm's validation does before an install.
func validateMappings(mapper meta.RESTMapper, manifests []render.Manifest) error {
	var errs []error
	for _, m := range manifests {
		// Lists are flattened into their items by Helm's validation.
		if m.Kind == "" || strings.HasSuffix(m.Kind, "List") {
			continue
		}
		gv, err := schema.ParseGroupVersion(m.APIVersion)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s %q: %w", m.Source, m.Kind, m.Name, err))
			continue
		}
		if _, err := mapper.RESTMapping(gv.WithKind(m.Kind).GroupKind(), gv.Version); err != nil {
			if meta.IsNoMatchError(err) {
				errs = append(errs, fmt.Errorf("resource mapping not found for name: %q namespace: %q from %q: no matches for kind %q in version %q\nensure CRDs are installed first", m.Name, m.Namespace, m.Source, m.Kind, m.APIVersion))
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %s %q: %w", m.Source, m.Kind, m.Name, err))
		}
		if err := validObject(m); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("unable to build kubernetes objects from release manifest: %w", errors.Join(errs...))
	}
	return nil
}

// validObject checks what every object needs: a name (or generateName).
func validObject(m render.Manifest) error {
	if m.Name != "" {
		return nil
	}
	var obj struct {
		Metadata struct {
			GenerateName string `json:"generateName"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal([]byte(m.Content), &obj); err == nil && obj.Metadata.GenerateName != "" {
		return nil
	}
	return fmt.Errorf("%s: %s has no metadata.name; give it a name", m.Source, strings.TrimSpace(m.Kind))
}
