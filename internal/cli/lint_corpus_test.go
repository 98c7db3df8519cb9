package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bargehq/barge/internal/helmbin"
)

// lintCorpusExceptions are the corpus charts that `helm lint` passes and
// barge lint fails, each with the rules that find real errors in them: what
// the API server refuses. TestLintCorpusExceptionsRefused checks that it
// does.
var lintCorpusExceptions = map[string]struct {
	rules  []string
	reason string
}{
	"helm__chart-with-dependency-aliased-twice": {[]string{"object-schema-type"}, "ConfigMaps whose data values are maps (data.global: {}); a ConfigMap's data holds strings only"},
	"helm__tc-alpine":               {[]string{"object-schema-type"}, "the label app.kubernetes.io/version is the number 3.9 (an unquoted appVersion); label values are strings"},
	"helm__tc-issue-7233":           {[]string{"object-schema-type"}, "its alpine subchart's label app.kubernetes.io/version is the number 3.9; label values are strings"},
	"helm__tc-chart-with-only-crds": {[]string{"api-removed"}, "its CRD is apiextensions.k8s.io/v1beta1, removed in Kubernetes 1.22 (helm lint does not look at crds/)"},
}

// lintArgs turns a corpus case's `template rel ./chart ...` arguments
// into `lint ./chart ...`.
func lintArgs(template []string) []string {
	args := []string{"lint"}
	for i, a := range template {
		if i == 0 && a == "template" || i == 1 && a == "rel" {
			continue
		}
		args = append(args, a)
	}
	return args
}

// TestLintCorpusAgainstHelm runs `helm lint` (v3.22) and barge lint on
// every chart of the corpus, with the case's values files: every chart Helm
// passes, barge passes too, but for the named exceptions, where barge must
// find exactly the rules named (real errors, which Helm misses); every
// chart Helm fails, barge fails too.
func TestLintCorpusAgainstHelm(t *testing.T) {
	cases := corpusCases(t)
	helm := helmbin.Find(t, "helm-v3.22.0")
	entries, err := os.ReadDir(cases)
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(cases, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "args"))
			if err != nil {
				t.Fatal(err)
			}
			args := lintArgs(strings.Fields(string(raw)))
			cmd := exec.Command(helm, args...)
			cmd.Dir = dir
			cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
			helmOut, helmErr := cmd.CombinedOutput()
			if helmErr != nil {
				if _, ok := helmErr.(*exec.ExitError); !ok {
					t.Fatalf("helm lint: %v", helmErr)
				}
				if _, _, err := runBarge(t, dir, args); err == nil {
					t.Fatalf("helm lint fails this chart and barge lint passes it:\n%s", helmOut)
				}
				return
			}
			stdout, stderr, err := runBarge(t, dir, append(args, "-o", "json"))
			var rep struct {
				Charts []struct {
					Findings []struct{ Rule, Severity, File, Message string }
				}
			}
			if jerr := json.Unmarshal([]byte(stdout), &rep); jerr != nil {
				t.Fatalf("barge lint -o json: %v\n%s\n%s", jerr, stdout, stderr)
			}
			var errorRules []string
			for _, c := range rep.Charts {
				for _, f := range c.Findings {
					if f.Severity == "error" && !slices.Contains(errorRules, f.Rule) {
						errorRules = append(errorRules, f.Rule)
					}
				}
			}
			ex, isException := lintCorpusExceptions[e.Name()]
			switch {
			case isException:
				slices.Sort(errorRules)
				if !slices.Equal(errorRules, ex.rules) || err == nil {
					t.Fatalf("helm lint passes and barge lint should find %v (%s); it found %v (err %v):\n%s", ex.rules, ex.reason, errorRules, err, stdout)
				}
				t.Logf("known real error, which helm lint misses: %s", ex.reason)
			case err != nil || len(errorRules) > 0:
				t.Fatalf("helm lint passes this chart and barge lint fails it (%v):\n%s\n%s", err, stdout, stderr)
			}
			passed++
		})
	}
	if passed < 30 {
		t.Errorf("only %d corpus charts were compared; expected the corpus's ~38", passed)
	}
}

// TestLintCorpusExceptionsRefused installs each chart of
// lintCorpusExceptions with `helm install` on the local cluster (a dry run
// would not send the objects): Helm's own install fails on what barge lint
// found, so those findings are real errors.
func TestLintCorpusExceptionsRefused(t *testing.T) {
	cases := corpusCases(t)
	for name, ex := range lintCorpusExceptions {
		t.Run(name, func(t *testing.T) {
			e := newE2E(t)
			dir, err := filepath.Abs(filepath.Join(cases, name, "chart"))
			if err != nil {
				t.Fatal(err)
			}
			r := e.helm("v3.22.0", "install", "lint-exception", dir)
			if r.code == 0 {
				t.Fatalf("helm install accepts the chart barge lint refuses (%s):\n%s", ex.reason, r)
			}
			t.Logf("helm install refuses it, as barge lint does (%s): %s", ex.reason, strings.TrimSpace(r.stderr))
		})
	}
}
