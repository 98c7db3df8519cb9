package diff

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Action is what happens to an object.
type Action string

// The actions.
const (
	// Create: the object does not exist and would be created.
	Create Action = "create"
	// Change: the object exists and would change.
	Change Action = "change"
	// Delete: the object exists and would be deleted.
	Delete Action = "delete"
	// Unchanged: the object exists and would stay as it is.
	Unchanged Action = "unchanged"
	// Keep: the object is dropped from the release but stays in the
	// cluster, because it is annotated helm.sh/resource-policy: keep.
	Keep Action = "keep"
)

// Options tune Compare.
type Options struct {
	// ShowSecrets shows the values of Secrets' data and stringData; by
	// default they are masked in every part of a Change (see Masked).
	ShowSecrets bool
	// SuppressLines drops the lines of an object's YAML that match any of
	// these expressions from both sides before comparing them; an object
	// whose other lines are equal is Unchanged.
	SuppressLines []*regexp.Regexp
	// Owners are the field managers whose fields are the release's; the
	// live object's fields set by other managers are reported as Foreign.
	// Empty reports none.
	Owners []string
}

// ObjectChange is what happens to one object.
type ObjectChange struct {
	// APIVersion, Kind, Namespace and Name identify the object.
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	// Action is what happens to it.
	Action Action `json:"action"`
	// Paths are the fields that change, for Change; Create and Delete list
	// none (the whole object comes or goes).
	Paths []PathChange `json:"paths,omitempty"`
	// Foreign are the live fields other field managers set, which the
	// apply leaves as they are.
	Foreign []ForeignField `json:"foreign,omitempty"`
	// Conflict, when set, says the operation would fail on this object
	// because other field managers own fields it sets, and how to proceed.
	// The change shown is what a forced apply would do.
	Conflict string `json:"conflict,omitempty"`
	// Note says something else worth knowing, such as why the object
	// could not be checked by the server.
	Note string `json:"note,omitempty"`

	// before and after are the two sides as YAML lines: normalized,
	// masked, and without suppressed lines.
	before, after []string
}

// Ref returns "Kind/name" or "Kind/name in namespace ns".
func (c *ObjectChange) Ref() string {
	if c.Namespace == "" {
		return c.Kind + "/" + c.Name
	}
	return fmt.Sprintf("%s/%s in namespace %s", c.Kind, c.Name, c.Namespace)
}

// Changed reports whether the object changes, or differs from what its
// release set by fields other managers set.
func (c *ObjectChange) Changed() bool {
	switch c.Action {
	case Create, Change, Delete:
		return true
	}
	return len(c.Foreign) > 0
}

// Compare returns the change that turns before into after: Create when
// before is nil, Delete when after is nil, otherwise Change or Unchanged.
// Both are normalized (see Normalize) and, for Secrets, masked unless
// opts.ShowSecrets. With opts.Owners, the fields of before that other
// managers set are listed in Foreign. The arguments are not modified.
func Compare(before, after *unstructured.Unstructured, opts Options) (*ObjectChange, error) {
	id := after
	if id == nil {
		id = before
	}
	if id == nil {
		return nil, fmt.Errorf("diff: compare: no object on either side")
	}
	c := &ObjectChange{APIVersion: id.GetAPIVersion(), Kind: id.GetKind(), Namespace: id.GetNamespace(), Name: id.GetName()}
	live := before
	b, a := Normalize(before), Normalize(after)
	if !opts.ShowSecrets {
		maskSecrets(b, a)
	}
	var err error
	if c.before, err = yamlLines(b, opts.SuppressLines); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Ref(), err)
	}
	if c.after, err = yamlLines(a, opts.SuppressLines); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Ref(), err)
	}
	switch {
	case b == nil:
		c.Action = Create
	case a == nil:
		c.Action = Delete
	case slices.Equal(c.before, c.after):
		c.Action = Unchanged
	default:
		c.Action = Change
		c.Paths = changedPaths(b.Object, a.Object, "", nil)
	}
	if len(opts.Owners) > 0 && b != nil && a != nil {
		c.Foreign = Foreign(live, opts.Owners, opts.ShowSecrets)
	}
	return c, nil
}

// NewKeep returns the change of an object dropped from a release but kept
// in the cluster by its resource policy.
func NewKeep(apiVersion, kind, namespace, name string) *ObjectChange {
	return &ObjectChange{APIVersion: apiVersion, Kind: kind, Namespace: namespace, Name: name, Action: Keep}
}

// yamlLines renders obj as YAML lines (keys sorted), without the lines
// any of suppress match. A nil obj has no lines.
func yamlLines(obj *unstructured.Unstructured, suppress []*regexp.Regexp) ([]string, error) {
	if obj == nil {
		return nil, nil
	}
	b, err := yaml.Marshal(obj.Object)
	if err != nil {
		return nil, fmt.Errorf("render as YAML: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(suppress) == 0 {
		return lines, nil
	}
	out := lines[:0]
	for _, l := range lines {
		if !slices.ContainsFunc(suppress, func(re *regexp.Regexp) bool { return re.MatchString(l) }) {
			out = append(out, l)
		}
	}
	return out, nil
}

// Hook is a hook an operation runs. Hooks are created and deleted as the
// operation runs, so they are listed rather than compared.
type Hook struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	Events []string `json:"events"`
	Weight int      `json:"weight"`
}

// ChangeSet is the change of one operation (or, for drift, of reapplying
// a release): one ObjectChange per object, and the hooks it runs.
type ChangeSet struct {
	// Changes are the objects' changes, in the order given to Add.
	Changes []*ObjectChange `json:"changes"`
	// Hooks are the hooks the operation would run.
	Hooks []Hook `json:"hooks,omitempty"`
}

// Add appends changes.
func (cs *ChangeSet) Add(c ...*ObjectChange) { cs.Changes = append(cs.Changes, c...) }

// HasChanges reports whether any object changes or has foreign fields.
func (cs *ChangeSet) HasChanges() bool {
	return slices.ContainsFunc(cs.Changes, (*ObjectChange).Changed)
}

// Suppress removes the changes of the given kinds (compared without
// regard to case).
func (cs *ChangeSet) Suppress(kinds ...string) {
	if len(kinds) == 0 {
		return
	}
	cs.Changes = slices.DeleteFunc(cs.Changes, func(c *ObjectChange) bool {
		return slices.ContainsFunc(kinds, func(k string) bool { return strings.EqualFold(k, c.Kind) })
	})
}

// KindSummary counts the changes to the objects of one kind.
type KindSummary struct {
	Kind      string `json:"kind"`
	Created   int    `json:"created"`
	Changed   int    `json:"changed"`
	Deleted   int    `json:"deleted"`
	Unchanged int    `json:"unchanged"`
	// Kept counts objects dropped but kept by their resource policy, and
	// Drifted unchanged objects with foreign fields.
	Kept    int `json:"kept,omitempty"`
	Drifted int `json:"drifted,omitempty"`
}

// Summary counts the changes per kind, sorted by kind.
func (cs *ChangeSet) Summary() []KindSummary {
	byKind := map[string]*KindSummary{}
	for _, c := range cs.Changes {
		s := byKind[c.Kind]
		if s == nil {
			s = &KindSummary{Kind: c.Kind}
			byKind[c.Kind] = s
		}
		switch c.Action {
		case Create:
			s.Created++
		case Change:
			s.Changed++
		case Delete:
			s.Deleted++
		case Keep:
			s.Kept++
		case Unchanged:
			s.Unchanged++
			if len(c.Foreign) > 0 {
				s.Drifted++
			}
		}
	}
	out := make([]KindSummary, 0, len(byKind))
	for _, s := range byKind {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b KindSummary) int { return cmp.Compare(a.Kind, b.Kind) })
	return out
}
