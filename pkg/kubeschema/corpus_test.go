package kubeschema

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/bargehq/barge/internal/reporoot"
)

// corpusExceptions are problems found in the corpus that are real mistakes of
// the charts, keyed by "case: source template: message" (or "case: WithCRDs:
// error"), with the reason. The charts concerned are fixtures of Helm's own
// tests, which render them but never send them to a cluster.
var corpusExceptions = map[string]string{
	"helm__chart-with-dependency-aliased-twice: chart-with-dependency-aliased-twice/charts/bar/templates/dummy.yaml: data.global: expected string, got object":                     "ConfigMap data values are strings; the API server rejects an object",
	"helm__chart-with-dependency-aliased-twice: chart-with-dependency-aliased-twice/charts/bar/templates/dummy.yaml: data.grandchild: expected string, got object":                 "ConfigMap data values are strings; the API server rejects an object",
	"helm__chart-with-dependency-aliased-twice: chart-with-dependency-aliased-twice/charts/child/charts/grandchild/templates/dummy.yaml: data.global: expected string, got object": "ConfigMap data values are strings; the API server rejects an object",
	"helm__chart-with-dependency-aliased-twice: chart-with-dependency-aliased-twice/charts/foo/templates/dummy.yaml: data.global: expected string, got object":                     "ConfigMap data values are strings; the API server rejects an object",
	"helm__chart-with-dependency-aliased-twice: chart-with-dependency-aliased-twice/charts/foo/templates/dummy.yaml: data.grandchild: expected string, got object":                 "ConfigMap data values are strings; the API server rejects an object",
	"helm__tc-alpine: alpine/templates/alpine-pod.yaml: metadata.labels[\"app.kubernetes.io/version\"]: expected string, got number 3.9":                                           "an unquoted {{ .Chart.AppVersion }} renders 3.9, a number; label values are strings",
	"helm__tc-issue-7233: issue-7233/charts/alpine/templates/alpine-pod.yaml: metadata.labels[\"app.kubernetes.io/version\"]: expected string, got number 3.9":                     "an unquoted {{ .Chart.AppVersion }} renders 3.9, a number; label values are strings",
	"helm__subpop: WithCRDs: crd testCRDs: no served version in spec.versions":                                                                                                     "the CRD names no version at all (and is apiextensions.k8s.io/v1beta1, gone since Kubernetes 1.22)",
}

// corpusDir returns the chart conformance corpus: ../shared/corpus/cases
// from the repository root.
func corpusDir(t *testing.T) string {
	return reporoot.Corpus(t)
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// splitDocuments splits Helm's output into documents, each with the name of
// its template (from the "# Source:" comment).
func splitDocuments(out string) (docs, sources []string) {
	for _, doc := range docSeparator.Split(out, -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		source := ""
		if i := strings.Index(doc, "# Source: "); i >= 0 {
			source, _, _ = strings.Cut(doc[i+len("# Source: "):], "\n")
		}
		docs = append(docs, strings.TrimPrefix(doc, "\n"))
		sources = append(sources, source)
	}
	return docs, sources
}

// TestCorpus validates every object that Helm rendered for the charts of the
// conformance corpus, against the embedded schema plus the CRDs the charts
// install. Real clusters accepted all of them, so any problem is most likely
// the validator's.
func TestCorpus(t *testing.T) {
	base, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := filepath.Glob(filepath.Join(corpusDir(t), "*"))
	if err != nil {
		t.Fatal(err)
	}
	var objects, known int
	unknown := map[string]int{}
	for _, dir := range cases {
		name := filepath.Base(dir)
		file := filepath.Join(dir, "expected-crds.yaml")
		if _, err := os.Stat(file); err != nil {
			file = filepath.Join(dir, "expected.yaml")
		}
		raw, err := os.ReadFile(file)
		if os.IsNotExist(err) {
			continue // Helm refused the chart (expected.err)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			docs, sources := splitDocuments(string(raw))
			var crds []map[string]any
			for _, doc := range docs {
				var obj map[string]any
				if err := yaml.Unmarshal([]byte(doc), &obj); err == nil && obj["kind"] == "CustomResourceDefinition" {
					crds = append(crds, obj)
				}
			}
			schema, errs := base.WithCRDs(crds)
			for _, err := range errs {
				key := name + ": WithCRDs: " + err.Error()
				if reason, ok := corpusExceptions[key]; ok {
					t.Logf("known chart bug: %s (%s)", key, reason)
					continue
				}
				t.Errorf("WithCRDs: %v", err)
			}
			for i, doc := range docs {
				problems, ok, err := schema.ValidateDocument(doc)
				if err != nil {
					t.Errorf("%s: %v", sources[i], err)
					continue
				}
				var obj map[string]any
				if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || obj == nil {
					continue // comments only
				}
				objects++
				if !ok {
					unknown[fmt.Sprint(obj["apiVersion"], " ", obj["kind"])]++
					continue
				}
				known++
				for _, p := range problems {
					key := name + ": " + sources[i] + ": " + p.Message
					if reason, ok := corpusExceptions[key]; ok {
						t.Logf("known chart bug: %s (%s)", key, reason)
						continue
					}
					t.Errorf("%s: line %d: %s", sources[i], p.Line, p.Message)
				}
			}
		})
	}
	kinds := make([]string, 0, len(unknown))
	for k, n := range unknown {
		kinds = append(kinds, k+" ×"+strconv.Itoa(n))
	}
	sort.Strings(kinds)
	t.Logf("%d objects, %d validated; not known: %s", objects, known, strings.Join(kinds, ", "))
}
