package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestE2EListDriftPartial plants release records barge cannot read next to
// good releases: `list -A` and `drift -A` report each broken one in its own
// row, still show the others, and exit 1 naming the broken ones.
func TestE2EListDriftPartial(t *testing.T) {
	e := newE2E(t)
	ctx := context.Background()
	for _, name := range []string{"good-a", "good-b", "half"} {
		e.mustBarge("install", name, fixture("web"))
	}
	// A record no one can read, without barge's summary annotation (as
	// one of Helm's would be): list must decode it.
	broken := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:   "sh.helm.release.v1.broken.v1",
			Labels: map[string]string{"owner": "helm", "name": "broken", "status": "deployed", "version": "1"},
		},
		Type: "helm.sh/release.v1",
		Data: map[string][]byte{"release": []byte("not a release")},
	}
	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, broken, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A record barge wrote whose data was then damaged: listed from its
	// summary annotation, it fails only when drift reads it.
	patch := []byte(`{"data":{"release":"` + "bm90IGEgcmVsZWFzZQ==" + `"}}`)
	if _, err := e.cs.CoreV1().Secrets(e.ns).Patch(ctx, "sh.helm.release.v1.half.v1", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("list", func(t *testing.T) {
		r := e.barge("list", "-A")
		if r.code != 1 {
			t.Fatalf("list -A with a broken record: want exit 1: %s", r)
		}
		for _, name := range []string{"good-a", "good-b", "half"} {
			if !regexp.MustCompile(`(?m)^` + name + `\s+` + e.ns + `\s+1\s.*deployed`).MatchString(r.stdout) {
				t.Errorf("release %s is not listed as deployed: %s", name, r)
			}
		}
		if !regexp.MustCompile(`(?m)^broken\s+` + e.ns + `\s+1\s+-\s+unreadable`).MatchString(r.stdout) {
			t.Errorf("the broken release has no row of its own: %s", r)
		}
		if !strings.Contains(r.stderr, `release "broken" in namespace "`+e.ns+`", revision 1`) {
			t.Errorf("the error does not name the broken record: %s", r)
		}
		j := e.barge("list", "-A", "-o", "json")
		if j.code != 1 || !strings.Contains(j.stdout, `"name":"broken"`) || !strings.Contains(j.stdout, `"error":`) || !strings.Contains(j.stdout, `"name":"good-a"`) {
			t.Errorf("list -A -o json: want every release, the broken one with its error, and exit 1: %s", j)
		}
	})
	t.Run("drift", func(t *testing.T) {
		r := e.barge("drift", "-A")
		if r.code != 1 {
			t.Fatalf("drift -A with broken records: want exit 1: %s", r)
		}
		for _, name := range []string{"good-a", "good-b"} {
			if !strings.Contains(r.stdout, fmt.Sprintf("Release %q in namespace %q: no drift", name, e.ns)) {
				t.Errorf("release %s was not checked: %s", name, r)
			}
		}
		for _, name := range []string{"broken", "half"} {
			if !strings.Contains(r.stdout, fmt.Sprintf("Release %q in namespace %q: not checked:", name, e.ns)) {
				t.Errorf("release %s has no row of its own: %s", name, r)
			}
			if !strings.Contains(r.stderr, fmt.Sprintf("release %q in namespace %q:", name, e.ns)) {
				t.Errorf("the error does not name release %s: %s", name, r)
			}
		}
		// Drift made on a good release is still found, next to the failures.
		if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Patch(ctx, "good-b-config", types.MergePatchType, []byte(`{"data":{"message":"edited"}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
			t.Fatal(err)
		}
		r = e.barge("drift")
		if r.code != 1 || !strings.Contains(r.stdout, "good-b-config") || !strings.Contains(r.stdout, "edited") {
			t.Errorf("drift of good-b not shown next to the broken releases: %s", r)
		}
	})
}

// secret is the password the secrets test plants in values.
const secret = "Zq7SecretPw9"

// TestE2ESecretsMasked plants a password in values through every values
// flag and a values file and runs every command that takes values, on
// success and on error paths (bad syntax, an unknown release, a chart whose
// schema refuses the value, a chart that does not exist): the password is in
// none of their output. `template` and `install --dry-run` print the
// rendered objects by design, so only their errors are checked; --debug is
// not used.
func TestE2ESecretsMasked(t *testing.T) {
	e := newE2E(t)
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pwFile := file("password.txt", secret)
	good := []struct {
		name string
		args []string
	}{
		{"set", []string{"--set", "password=" + secret}},
		{"set-string", []string{"--set-string", "password=" + secret}},
		{"set-json", []string{"--set-json", `password="` + secret + `"`}},
		{"set-literal", []string{"--set-literal", "password=" + secret}},
		{"set-file", []string{"--set-file", "password=" + pwFile}},
		{"values", []string{"-f", file("values.yaml", "password: "+secret+"\n")}},
	}
	bad := []struct {
		name string
		args []string
	}{
		{"set", []string{"--set", "joomlaPassword=" + secret + ",a[=1"}},
		{"set comma", []string{"--set", "password=ab," + secret}},
		{"set-string", []string{"--set-string", "password=" + secret + ",x[y]=1"}},
		{"set-json", []string{"--set-json", `password="` + secret + `",q={"a":` + secret + `}`}},
		{"set-literal", []string{"--set-literal", "a[x]=" + secret}},
		{"set-file", []string{"--set-file", "password=" + pwFile + ",a[=1"}},
		{"values map key", []string{"-f", file("key.yaml", "{"+secret+": x}: y\n")}},
		{"values tag", []string{"-f", file("tag.yaml", "a: !!int "+secret+"\n")}},
		{"values syntax", []string{"-f", file("syntax.yaml", "password: "+secret+"\n b: c\n")}},
	}
	chart := fixture("secret")
	check := func(t *testing.T, r result, args []string) {
		t.Helper()
		if strings.Contains(r.stdout, secret) || strings.Contains(r.stderr, secret) {
			t.Errorf("barge %s shows the secret: %s", strings.Join(args, " "), r)
		}
	}
	runOK := func(t *testing.T, args ...string) {
		t.Helper()
		r := e.barge(args...)
		if r.code != 0 {
			t.Fatalf("barge %s: %s", strings.Join(args, " "), r)
		}
		check(t, r, args)
	}
	runErr := func(t *testing.T, args ...string) {
		t.Helper()
		r := e.barge(args...)
		if r.code == 0 {
			t.Errorf("barge %s succeeded: %s", strings.Join(args, " "), r)
		}
		check(t, r, args)
	}
	for _, v := range good {
		t.Run(v.name, func(t *testing.T) {
			rel := "pw-" + strings.ReplaceAll(v.name, "-", "")
			with := func(args ...string) []string { return append(args, v.args...) }
			runOK(t, with("install", rel, chart)...)
			runOK(t, with("diff", "upgrade", rel, chart, "--set", "extra=1")...)
			runOK(t, with("upgrade", rel, chart, "--description", "again")...)
			runOK(t, with("upgrade", "--install", rel, chart, "--wait")...)
			runOK(t, "status", rel)
			runOK(t, "history", rel)
			runOK(t, "diff", "release", rel)
			// Error paths.
			runErr(t, with("upgrade", "no-such-release", chart)...)
			runErr(t, with("diff", "upgrade", "no-such-release", chart)...)
			runErr(t, with("install", rel, chart)...) // exists already
			runErr(t, with("install", rel+"-schema", fixture("secret-schema"))...)
			runErr(t, with("upgrade", rel, fixture("secret-schema"))...)
			runErr(t, with("template", rel, fixture("secret-schema"))...)
			runErr(t, with("diff", "upgrade", rel, fixture("secret-schema"))...)
			runErr(t, with("install", rel+"-x", filepath.Join(dir, "no-such-chart"))...)
			runErr(t, with("upgrade", rel, chart, "--set", "a[=1")...)
		})
	}
	for _, v := range bad {
		t.Run("bad "+v.name, func(t *testing.T) {
			with := func(args ...string) []string { return append(args, v.args...) }
			runErr(t, with("install", "pw-bad", chart)...)
			runErr(t, with("install", "pw-bad", chart, "--dry-run")...)
			runErr(t, with("upgrade", "--install", "pw-bad", chart)...)
			runErr(t, with("upgrade", "pw-set", chart)...)
			runErr(t, with("diff", "upgrade", "pw-set", chart)...)
			runErr(t, with("template", "pw-bad", chart)...)
		})
	}
}

// TestE2EInvalidReleaseName runs every command that takes a release name
// with names Helm refuses: each says "invalid release name" and the rule,
// never the name of the Lease made of it.
func TestE2EInvalidReleaseName(t *testing.T) {
	e := newE2E(t)
	chart := fixture("web")
	for _, name := range []string{"Bad_Name", strings.Repeat("a", 60), "a..b"} {
		commands := [][]string{
			{"install", name, chart},
			{"upgrade", name, chart},
			{"upgrade", "--install", name, chart},
			{"uninstall", name},
			{"rollback", name, "1"},
			{"status", name},
			{"history", name},
			{"get", "values", name},
			{"get", "all", name},
			{"test", name},
			{"diff", "upgrade", name, chart},
			{"diff", "rollback", name},
			{"diff", "release", name},
			{"drift", name},
			{"template", name, chart},
		}
		for _, args := range commands {
			t.Run(strings.Join(args[:len(args)-1], " ")+" "+name[:min(len(name), 8)], func(t *testing.T) {
				r := e.barge(args...)
				if r.code == 0 {
					t.Fatalf("accepted release name %q: %s", name, r)
				}
				if !strings.Contains(r.stderr, "invalid release name") || !strings.Contains(r.stderr, "must match regex") || !strings.Contains(r.stderr, "53") {
					t.Errorf("the error does not say the name is invalid and the rule: %s", r)
				}
				if strings.Contains(r.stderr, "barge.release.") || strings.Contains(r.stderr, "lock name") {
					t.Errorf("the error names the lock: %s", r)
				}
			})
		}
	}
	if s := e.releaseSecrets(); len(s) != 0 {
		t.Errorf("records written: %v", s)
	}
}

// TestE2EAccessErrors tells a bogus token (401) and a ServiceAccount
// without any RBAC (403) apart from each other and from an unreachable
// server, each with its fix.
func TestE2EAccessErrors(t *testing.T) {
	e := newE2E(t)
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nobody"}}
	if _, err := e.cs.CoreV1().ServiceAccounts(e.ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := e.cs.CoreV1().ServiceAccounts(e.ns).CreateToken(ctx, "nobody", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rc := e.cluster.RESTConfig()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, rc.CAData, 0o600); err != nil {
		t.Fatal(err)
	}
	// A kubeconfig of its own: the test's has an admin client certificate,
	// which the API server would take before any token.
	kubeconfig := func(token string) string {
		p := filepath.Join(t.TempDir(), "kubeconfig")
		c := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q, certificate-authority: %q}}]
users: [{name: u, user: {token: %q}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: %q}}]
current-context: c
`, rc.Host, ca, token, e.ns)
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name       string
		kubeconfig string
		want       []string
	}{
		{"401 bogus token", kubeconfig("not-a-token"), []string{"unauthorized", "rejected the credentials (401)", "--kube-context"}},
		{"403 no RBAC", kubeconfig(tr.Status.Token), []string{"forbidden", "RBAC does not allow this (403)", "system:serviceaccount:" + e.ns + ":nobody", "kubectl auth can-i"}},
	}
	for _, tc := range tests {
		for _, args := range [][]string{
			{"list"},
			{"status", "web"},
			{"install", "web", fixture("web")},
			{"upgrade", "--install", "web", fixture("web")},
		} {
			t.Run(tc.name+" "+args[0], func(t *testing.T) {
				r := e.barge(append(args, "--kubeconfig", tc.kubeconfig)...)
				if r.code == 0 {
					t.Fatalf("succeeded: %s", r)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("the error does not say %q: %s", w, r)
					}
				}
				if strings.Contains(r.stderr, "unreachable") {
					t.Errorf("a server that answered is called unreachable: %s", r)
				}
			})
		}
	}
	if s := e.releaseSecrets(); len(s) != 0 {
		t.Errorf("records written: %v", s)
	}
}

// TestE2EMissingNamespace installs into a namespace that does not exist:
// the error says so and suggests --create-namespace, which works.
func TestE2EMissingNamespace(t *testing.T) {
	e := newE2E(t)
	ns := e.ns + "-missing"
	for _, args := range [][]string{
		{"install", "web", fixture("web"), "--namespace", ns},
		{"upgrade", "--install", "web", fixture("web"), "--namespace", ns},
	} {
		t.Run(args[0], func(t *testing.T) {
			r := e.barge(args...)
			if r.code == 0 {
				t.Fatalf("succeeded in a missing namespace: %s", r)
			}
			if !strings.Contains(r.stderr, fmt.Sprintf("namespace %q does not exist", ns)) || !strings.Contains(r.stderr, "--create-namespace") {
				t.Errorf("the error does not suggest --create-namespace: %s", r)
			}
		})
	}
	e.mustBarge("install", "web", fixture("web"), "--namespace", ns, "--create-namespace")
	t.Cleanup(func() {
		_ = e.cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
}

// klogLine matches a line klog writes: severity, date, time, pid, file.
var klogLine = regexp.MustCompile(`(?m)^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ [^ ]+:\d+\] `)

// TestE2EClientGoLogs installs a chart the API server warns about (a
// Pod template with the seccomp annotation, non-functional since 1.27):
// the warning is printed as "Warning: ...", not as a klog line.
func TestE2EClientGoLogs(t *testing.T) {
	e := newE2E(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: warned\nversion: 0.1.0\n",
		"templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: warned
spec:
  selector: {matchLabels: {app: warned}}
  template:
    metadata:
      labels: {app: warned}
      annotations:
        seccomp.security.alpha.kubernetes.io/pod: runtime/default
    spec:
      containers: [{name: c, image: registry.k8s.io/pause:3.10}]
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := e.mustBarge("install", "warned", dir)
	if klogLine.MatchString(r.stderr) {
		t.Errorf("client-go's log lines on stderr without --debug: %s", r)
	}
	if !strings.Contains(r.stderr, "Warning: ") || !strings.Contains(r.stderr, "seccomp") {
		t.Errorf("the API server's warning is not shown: %s", r)
	}
}

// TestE2EHistoryMultiline gives a release descriptions with line breaks:
// history's table keeps one line per revision.
func TestE2EHistoryMultiline(t *testing.T) {
	e := newE2E(t)
	e.mustBarge("install", "web", fixture("web"), "--description", "first line\nsecond line")
	e.mustBarge("upgrade", "web", fixture("web"), "--description", "one\r\ntwo\tthree")
	r := e.mustBarge("history", "web")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("history: want a header and 2 rows: %s", r)
	}
	for _, l := range lines[1:] {
		if !regexp.MustCompile(`^[12]\s`).MatchString(l) {
			t.Errorf("row does not start with its revision: %q", l)
		}
	}
	if !strings.Contains(lines[1], `first line\nsecond line`) || !strings.Contains(lines[2], `one\r\ntwo\tthree`) {
		t.Errorf("descriptions not shown on one line, escaped: %s", r)
	}
	j := e.mustBarge("history", "web", "-o", "json")
	if !strings.Contains(j.stdout, `"description":"first line\nsecond line"`) {
		t.Errorf("-o json does not keep the description as it is: %s", j)
	}
}
