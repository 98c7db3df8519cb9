package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bargehq/barge/pkg/release/storage"
)

// secretDataLimit is Kubernetes' limit on a Secret's data.
const secretDataLimit = 1 << 20

// randomBytes returns n incompressible bytes made from seed.
func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 14))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// bigChart writes, in a temporary directory, a chart named name holding
// files of random content of the given sizes (files/blob-<i>.bin) and a
// ConfigMap whose data.value is the value `value` (default "v1"), with
// extra appended to the template. It returns the chart's directory.
func bigChart(t *testing.T, name string, sizes []int, extra string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	write := func(rel string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Chart.yaml", []byte("apiVersion: v2\nname: "+name+"\nversion: 0.1.0\nappVersion: \"1.0\"\n"))
	write("values.yaml", []byte("value: v1\n"))
	write("templates/configmap.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  value: {{ .Values.value | quote }}\n"+extra))
	for i, n := range sizes {
		write(fmt.Sprintf("files/blob-%d.bin", i), randomBytes(uint64(i+1), n))
	}
	return dir
}

// recordSecrets returns the sizes of data.release of the release's
// records, by Secret name, and the names of its part Secrets.
func (e *e2e) recordSecrets(name string) (records map[string]int, parts []string) {
	e.t.Helper()
	l, err := e.cs.CoreV1().Secrets(e.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "name=" + name})
	if err != nil {
		e.t.Fatal(err)
	}
	records = map[string]int{}
	for _, s := range l.Items {
		switch s.Labels["owner"] {
		case "helm":
			records[s.Name] = len(s.Data["release"])
		case "barge":
			parts = append(parts, s.Name)
		}
	}
	return records, parts
}

// mustFail runs a command that must fail, and returns its output.
func mustFail(t *testing.T, what string, r result) string {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("%s succeeded, want a refusal: %s", what, r)
	}
	return r.stdout + r.stderr
}

// TestRecordsHelmSizedChart: a chart with a 700 KB file, whose record
// Helm stores in one Secret, installs with barge, and barge upgrades Helm
// v3.22's release of it. Before barge compressed as well as Helm, its
// record was 1.2 MiB: "data: Too long".
func TestRecordsHelmSizedChart(t *testing.T) {
	e := newE2E(t)
	ch := bigChart(t, "blob", []int{700_000}, "")

	e.mustBarge("install", "by-barge", ch)
	recs, parts := e.recordSecrets("by-barge")
	if len(recs) != 1 || len(parts) != 0 {
		t.Errorf("records %v, parts %v: want one record in one Secret, as Helm stores it", recs, parts)
	}

	e.mustHelm("v3.22.0", "install", "by-helm", ch)
	helmRecs, _ := e.recordSecrets("by-helm")
	e.mustBarge("upgrade", "by-helm", ch, "--set", "value=v2")
	if got := e.configMapData("by-helm-cm")["value"]; got != "v2" {
		t.Errorf("by-helm-cm value %q after barge's upgrade, want v2", got)
	}
	recs, parts = e.recordSecrets("by-helm")
	if len(recs) != 2 || len(parts) != 0 {
		t.Errorf("records %v, parts %v: want two records, in one Secret each", recs, parts)
	}
	// Barge's record is no larger than Helm's of the same chart.
	bargeSize, helmSize := recs[storage.Key("by-helm", 2)], helmRecs[storage.Key("by-helm", 1)]
	t.Logf("data.release: Helm's revision 1 %d bytes, barge's revision 2 %d bytes", helmSize, bargeSize)
	if bargeSize > helmSize+512 { // revision 2 has other values and times
		t.Errorf("barge's record takes %d bytes, Helm's %d", bargeSize, helmSize)
	}
	out := e.mustHelm("v3.22.0", "history", "by-helm").stdout
	if !strings.Contains(out, "Upgrade complete") {
		t.Errorf("helm history does not show barge's upgrade:\n%s", out)
	}
}

// TestRecordsFailureAlwaysRecorded: a release whose pending record fits in
// a Secret but whose failure, with its long error, would not, ends failed,
// not pending-install for good. Its ConfigMap has two label values of 20
// KB of random characters, which the API server refuses after the pending
// record is stored, quoting them in its error; the chart's file is sized so
// that the pending record takes 1 MiB less 8 KiB (measured on releases of
// the same size that succeed).
func TestRecordsFailureAlwaysRecorded(t *testing.T) {
	e := newE2E(t)
	r := rand.New(rand.NewPCG(7, 14))
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	label := make([]byte, 40_000)
	for i := range label {
		label[i] = alnum[r.IntN(len(alnum))]
	}
	tmpl := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n  labels:\n" +
		"    bad: " + string(label[:20_000]) + "\n    worse: " + string(label[20_000:]) + "\n" +
		"data:\n  value: {{ .Values.value | quote }}\n"

	// The size of the record barge stores for a file of n bytes, measured:
	// a release of the same chart with the values as annotations (valid)
	// rather than labels, installed.
	chartOf := func(n int, tmpl string) string {
		dir := bigChart(t, "fails", []int{n}, "")
		if err := os.WriteFile(filepath.Join(dir, "templates", "configmap.yaml"), []byte(tmpl), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	calibrations := 0
	size := func(n int) int {
		calibrations++
		name := fmt.Sprintf("fails%d", calibrations) // as long as "fails": the same manifest
		if r := e.barge("install", name, chartOf(n, strings.Replace(tmpl, "  labels:", "  annotations:", 1))); r.code != 0 {
			if strings.Contains(r.stderr, "Too long") {
				return secretDataLimit + 1
			}
			t.Fatalf("calibration: %s", r)
		}
		recs, parts := e.recordSecrets(name)
		if len(parts) != 0 {
			return secretDataLimit + 1 // stored in parts
		}
		for _, size := range recs {
			return size
		}
		t.Fatalf("calibration: no record of %s", name)
		return 0
	}
	// Aim at the limit less 8 KiB (6 to 10), by bisection: the size grows
	// with the file's, not quite linearly.
	lo, hi := 300_000, 900_000
	var n, got int
	for {
		n = (lo + hi) / 2
		got = size(n)
		t.Logf("a file of %d bytes makes a record of %d bytes", n, got)
		if got >= secretDataLimit-10<<10 && got <= secretDataLimit-6<<10 {
			break
		}
		if calibrations == 12 {
			t.Fatalf("calibration: no file size gives a record of 1 MiB less 6 to 10 KiB")
		}
		if got < secretDataLimit-10<<10 {
			lo = n
		} else {
			hi = n
		}
	}
	ch := chartOf(n, tmpl)

	// barge's own check refuses the label before anything is recorded,
	// in a few lines however long the label.
	if res := e.barge("install", "fails", ch); res.code == 0 || !strings.Contains(res.stderr, "[object-labels]") || len(res.stderr) > 2048 {
		t.Fatalf("install: want the label refused offline in a few lines: %.3000s", res)
	}
	if recs, parts := e.recordSecrets("fails"); len(recs)+len(parts) != 0 {
		t.Fatalf("a refused install left records %v %v", recs, parts)
	}
	// Turned off, the API server refuses the label.
	res := e.barge("install", "fails", ch, "--disable-openapi-validation")
	if res.code == 0 {
		t.Fatalf("install succeeded; want the API server to refuse the label: %s", res)
	}
	// The error quotes the label value: recorded whole, the failure
	// would outgrow the Secret.
	if !strings.Contains(res.stderr, string(label[:100])) || !strings.Contains(res.stderr, string(label[20_000:20_100])) {
		t.Fatalf("install's error does not quote the label's value, so the failure would not grow: %s", res)
	}
	t.Logf("install failed with %d bytes of error", len(res.stderr))
	recs, parts := e.recordSecrets("fails")
	t.Logf("records %v, parts %v", recs, parts)
	out := e.mustBarge("history", "fails").stdout
	t.Logf("history:\n%s", out)
	if !strings.Contains(out, "failed") || strings.Contains(out, "pending-install") {
		t.Fatalf("history after the failed install, want revision 1 failed:\n%s", out)
	}
	// And the next command works: the release is not stuck.
	e.mustBarge("uninstall", "fails")
}

// TestRecordsOverOneMiB: a release whose record exceeds a Secret's 1 MiB
// (3 MB of chart files) installs, upgrades, rolls back, lists, shows its
// history and diffs with barge; Helm v3.22 and v4.3 list it, and refuse to
// upgrade or roll it back, saying why, without changing it; uninstall
// removes its parts.
func TestRecordsOverOneMiB(t *testing.T) {
	e := newE2E(t)
	ch := bigChart(t, "huge", []int{600_000, 600_000, 600_000, 600_000, 600_000}, "")

	e.mustBarge("install", "huge", ch)
	recs, parts := e.recordSecrets("huge")
	if len(recs) != 1 || len(parts) < 3 {
		t.Fatalf("records %v, parts %v: want one record in 3 or more parts", recs, parts)
	}
	e.mustBarge("upgrade", "huge", ch, "--set", "value=v2")
	if got := e.configMapData("huge-cm")["value"]; got != "v2" {
		t.Errorf("huge-cm value %q after the upgrade, want v2", got)
	}
	e.mustBarge("rollback", "huge", "1")
	if got := e.configMapData("huge-cm")["value"]; got != "v1" {
		t.Errorf("huge-cm value %q after the rollback, want v1", got)
	}

	list := e.mustBarge("list").stdout
	if !strings.Contains(list, "huge") || !strings.Contains(list, "deployed") {
		t.Errorf("barge list:\n%s", list)
	}
	hist := e.mustBarge("history", "huge").stdout
	for _, want := range []string{"Install complete", "Upgrade complete", "Rollback to 1"} {
		if !strings.Contains(hist, want) {
			t.Errorf("barge history does not say %q:\n%s", want, hist)
		}
	}
	diff := e.mustBarge("diff", "upgrade", "huge", ch, "--set", "value=v3")
	if !strings.Contains(diff.stdout, "v3") {
		t.Errorf("barge diff upgrade does not show the new value:\n%s", diff)
	}

	for _, v := range []string{"v3.22.0", "v4.3.1"} {
		out := e.mustHelm(v, "list").stdout
		if !strings.Contains(out, "huge") || !strings.Contains(out, "deployed") || !strings.Contains(out, "huge-0.1.0") {
			t.Errorf("helm %s list:\n%s", v, out)
		}
		out = mustFail(t, "helm "+v+" upgrade", e.helm(v, "upgrade", "huge", ch, "--set", "value=helm"))
		if !strings.Contains(out, "stored-by-barge-use-barge") {
			t.Errorf("helm %s upgrade's refusal does not say the release is barge's:\n%s", v, out)
		}
		t.Logf("helm %s upgrade: %s", v, strings.TrimSpace(out))
	}
	if got := e.configMapData("huge-cm")["value"]; got != "v1" {
		t.Errorf("huge-cm value %q after Helm's refused upgrades, want v1", got)
	}
	recs, _ = e.recordSecrets("huge")
	if len(recs) != 3 {
		t.Errorf("records %v after Helm's refused upgrades, want the 3 barge wrote", recs)
	}

	// Helm's rollback refuses too (it records its attempt first, pending,
	// as it does for any rollback it cannot build).
	out := mustFail(t, "helm rollback", e.helm("v3.22.0", "rollback", "huge", "2"))
	if !strings.Contains(out, "stored-by-barge-use-barge") {
		t.Errorf("helm rollback's refusal does not say the release is barge's:\n%s", out)
	}
	t.Logf("helm v3.22.0 rollback: %s", strings.TrimSpace(out))
	if got := e.configMapData("huge-cm")["value"]; got != "v1" {
		t.Errorf("huge-cm value %q after Helm's refused rollback, want v1", got)
	}
	hist = e.mustBarge("history", "huge").stdout
	for _, want := range []string{"Install complete", "Upgrade complete", "Rollback to 1"} {
		if !strings.Contains(hist, want) {
			t.Errorf("barge history after Helm's rollback does not say %q:\n%s", want, hist)
		}
	}

	e.mustBarge("uninstall", "huge", "--take-over")
	recs, parts = e.recordSecrets("huge")
	if len(recs) != 0 || len(parts) != 0 {
		t.Errorf("after uninstall: records %v, parts %v", recs, parts)
	}
}

// TestRecordsTooLarge: a release whose record would exceed what barge
// stores is refused before anything is applied, naming its size, the
// limit, the largest file and .helmignore.
func TestRecordsTooLarge(t *testing.T) {
	e := newE2E(t)
	sizes := make([]int, 15)
	for i := range sizes {
		sizes[i] = 600_000
	}
	ch := bigChart(t, "toolarge", sizes, "")
	out := mustFail(t, "install", e.barge("install", "toolarge", ch))
	for _, want := range []string{"MiB compressed", "over the", "files/blob-", ".helmignore"} {
		if !strings.Contains(out, want) {
			t.Errorf("refusal does not say %q:\n%s", want, out)
		}
	}
	if e.configMapData("toolarge-cm") != nil {
		t.Error("the ConfigMap was applied")
	}
	if recs, parts := e.recordSecrets("toolarge"); len(recs)+len(parts) != 0 {
		t.Errorf("records %v, parts %v left", recs, parts)
	}
}
