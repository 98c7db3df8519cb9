package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyFlag serves a chart signed by package --sign from a repository
// on loopback, and checks --verify where Helm has it: pull (which prints who
// signed and saves the .prov), pull --prov, template of repo/chart and of
// a local archive, dependency update; and its refusals: another key, a
// changed .prov, an unpacked chart.
func TestVerifyFlag(t *testing.T) {
	t.Parallel()
	e := newRepoEnv(t)
	keys := newSigningKeys(t, filepath.Join(e.dir, "keys"), "Jane Doe", "jane@example.com", "")
	other := newSigningKeys(t, filepath.Join(e.dir, "other"), "John Roe", "john@example.com", "")
	tgz := signedChart(t, e, keys)
	repoDir := filepath.Dir(tgz)
	e.mustBarge("repo", "index", repoDir)
	srv := newRepoServer(t, repoDir, "", "")
	e.mustBarge("repo", "add", "signed", srv.URL)
	hash := "sha256:" + mustSHA256(t, tgz)
	if out := e.mustBarge("show", "versions", "signed/demo"); out != "0.1.0\n" {
		t.Errorf("show versions signed/demo: %q", out)
	}

	dest := t.TempDir()
	out := e.mustBarge("pull", "signed/demo", "--verify", "--keyring", keys.pubring, "-d", dest)
	want := "Signed by: Jane Doe <jane@example.com>\nUsing Key With Fingerprint: " + keys.fingerprint() + "\nChart Hash Verified: " + hash + "\n"
	if out != want {
		t.Errorf("pull --verify printed:\n%s\nwant:\n%s", out, want)
	}
	for _, f := range []string{"demo-0.1.0.tgz", "demo-0.1.0.tgz.prov"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("pull --verify: %v", err)
		}
	}
	dest = t.TempDir()
	if out := e.mustBarge("pull", "signed/demo", "--prov", "-d", dest); out != "" {
		t.Errorf("pull --prov printed %q", out)
	}
	if _, err := os.Stat(filepath.Join(dest, "demo-0.1.0.tgz.prov")); err != nil {
		t.Errorf("pull --prov: %v", err)
	}

	for _, chart := range []string{"signed/demo", tgz} {
		if out := e.mustBarge("template", "x", chart, "--verify", "--keyring", keys.pubring); !strings.Contains(out, "kind: ConfigMap") {
			t.Errorf("template %s --verify rendered:\n%s", chart, out)
		}
	}
	parent := depParent(t, "- name: demo\n  version: 0.1.0\n  repository: \"@signed\"\n")
	e.mustBarge("dependency", "update", parent, "--verify", "--keyring", keys.pubring)
	if _, err := os.Stat(filepath.Join(parent, "charts", "demo-0.1.0.tgz")); err != nil {
		t.Errorf("dependency update --verify: %v", err)
	}

	url := srv.URL + "/demo-0.1.0.tgz"
	e.refuse("another key", []string{"chart archive " + url + ": ", "unknown entity"}, "template", "x", "signed/demo", "--verify", "--keyring", other.pubring)
	e.refuse("another key, pull", []string{"chart archive " + url + ": ", "unknown entity"}, "pull", "signed/demo", "--verify", "--keyring", other.pubring, "-d", t.TempDir())
	unpacked := filepath.Join(t.TempDir(), "unpacked")
	writeChart(t, unpacked, "unpacked", "0.1.0", "not packaged", "")
	e.refuse("unpacked chart", []string{"unpacked charts cannot be verified: package it (barge package " + unpacked + ")"}, "template", "x", unpacked, "--verify")

	prov, err := os.ReadFile(tgz + ".prov")
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(prov), "name: demo", "name: evil", 1)
	if changed == string(prov) {
		t.Fatalf("the .prov does not name the chart:\n%s", prov)
	}
	if err := os.WriteFile(tgz+".prov", []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	e.refuse("changed .prov", []string{"chart archive " + url + ": "}, "template", "x", "signed/demo", "--verify", "--keyring", keys.pubring)
	e.refuse("changed .prov, dependency", []string{"chart archive " + url + ": "}, "dependency", "update", depParent(t, "- name: demo\n  version: 0.1.0\n  repository: \"@signed\"\n"), "--verify", "--keyring", keys.pubring)
}
