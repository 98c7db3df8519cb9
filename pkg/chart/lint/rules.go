package lint

import (
	"fmt"
	"sort"
)

// Rule is one check barge lint makes.
type Rule struct {
	// ID is the rule's stable name, e.g. "chart-version".
	ID string `json:"id"`
	// Severity is the severity of its findings.
	Severity Severity `json:"severity"`
	// Helm reports whether `helm lint` makes the same check.
	Helm bool `json:"helm"`
	// Doc says in one line what the rule checks.
	Doc string `json:"doc"`
}

// ruleList is every rule. It is never modified.
var ruleList = []Rule{
	{"chart-yaml", Error, true, "Chart.yaml exists, is a file and parses as YAML"},
	{"chart-load", Error, true, "the chart loads: its files and metadata are as Helm's loader requires"},
	{"chart-name", Error, true, "Chart.yaml has a name, made of letters, digits, '-', '_' and '.'"},
	{"chart-api-version", Error, true, `Chart.yaml's apiVersion is "v1" or "v2"`},
	{"chart-version", Error, true, "Chart.yaml's version is a string and a SemVer 2 version"},
	{"chart-app-version", Error, true, "Chart.yaml's appVersion, when set, is a string"},
	{"chart-maintainers", Error, true, "each maintainer has a name, and a valid email and url when given"},
	{"chart-sources", Error, true, "each source is a valid URL"},
	{"chart-icon", Info, true, "Chart.yaml has an icon"},
	{"chart-icon-url", Error, true, "the icon is a valid URL"},
	{"chart-type", Error, true, `a chart type is only given with apiVersion v2, and is "application" or "library"`},
	{"chart-dependencies-v1", Error, true, "dependencies are only listed in Chart.yaml with apiVersion v2"},
	{"dependency-missing", Warning, true, "every dependency of Chart.yaml is in charts/ (run `barge dependency build`)"},
	{"dependency-unlisted", Error, true, "every chart in charts/ is a dependency of Chart.yaml"},
	{"dependency-duplicate", Error, true, "no two dependencies have the same name or alias"},
	{"dependency-lock", Warning, false, "Chart.lock is in sync with the dependencies of Chart.yaml (run `barge dependency update`)"},
	{"values-missing", Info, true, "the chart has a values.yaml"},
	{"values-yaml", Error, true, "values.yaml parses as a YAML map"},
	{"values-schema-invalid", Error, true, "values.schema.json is a valid JSON schema"},
	{"values-schema", Error, true, "the values satisfy values.schema.json (the chart's and its dependencies')"},
	{"templates-dir", Warning, true, "templates is a directory"},
	{"template-extension", Error, true, "templates end in .yaml, .yml, .tpl or .txt"},
	{"template-crd-hook", Warning, true, "no template is a crd-install hook (Helm 2): CRDs go in crds/"},
	{"template-release-time", Error, true, ".Release.Time, removed in Helm 3, is not used (use the now function)"},
	{"template-render", Error, true, "every template renders, with the chart's defaults and with each values file given"},
	{"template-required", Info, true, "a `required` value is missing or `fail` was called while linting (the render would fail)"},
	{"notes-render", Error, true, "NOTES.txt renders"},
	{"template-indent", Warning, true, "a rendered template does not start with an indented line"},
	{"template-yaml", Error, true, "every rendered document parses as YAML"},
	{"object-selector", Error, true, "a Deployment, ReplicaSet, DaemonSet or StatefulSet has matchLabels or matchExpressions"},
	{"list-annotations", Error, true, "no item of a List has the helm.sh/resource-policy annotation, which Helm ignores there"},
	{"object-schema-type", Error, false, "every field of a rendered object has the type the Kubernetes API schema gives it"},
	{"object-schema-required", Error, false, "every field the Kubernetes API schema requires is set"},
	{"object-schema-unknown", Error, false, "no field is unknown to the Kubernetes API schema (the API server rejects or silently drops it)"},
	{"object-schema-enum", Error, false, "fields with a fixed set of values have one of them"},
	{"crd-schema", Error, false, "a CustomResourceDefinition the chart ships has a schema its custom resources can be checked against"},
	{"api-removed", Error, false, "no object uses an API version removed in the target Kubernetes version"},
	{"api-deprecated", Warning, true, "no object uses an API version deprecated in the target Kubernetes version"},
	{"object-name", Error, false, "every object has a name that is valid for its kind (DNS-1123 subdomain, DNS-1035 label for Services...)"},
	{"object-labels", Error, false, "label keys and values are valid (63 characters at most, alphanumerics, '-', '_', '.')"},
	{"object-duplicate", Error, false, "no two rendered objects have the same kind, namespace and name"},
}

// catalogue is ruleList by id. It is never modified.
var catalogue = index(ruleList)

func index(rules []Rule) map[string]Rule {
	m := make(map[string]Rule, len(rules))
	for _, r := range rules {
		m[r.ID] = r
	}
	return m
}

// refused are the rules whose findings the API server refuses (or, for
// unknown fields, silently drops): what install and upgrade check before
// they apply anything.
var refused = map[string]bool{
	"object-schema-type": true, "object-schema-required": true, "object-schema-unknown": true,
	"object-schema-enum": true, "api-removed": true, "object-name": true, "object-labels": true,
	"object-duplicate": true,
}

// Refused reports whether the API server would refuse what rule id finds:
// the checks worth making before anything is applied.
func Refused(id string) bool { return refused[id] }

// Rules returns every rule, sorted by id.
func Rules() []Rule {
	out := make([]Rule, 0, len(catalogue))
	for _, r := range catalogue {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// finding makes a finding of rule id, with its severity.
func finding(id, file string, line int, format string, args ...any) Finding {
	r, ok := catalogue[id]
	if !ok {
		panic(fmt.Sprintf("lint: unknown rule %q", id))
	}
	return Finding{Rule: id, Severity: r.Severity, File: file, Line: line, Message: fmt.Sprintf(format, args...)}
}
