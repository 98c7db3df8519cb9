package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/bargehq/barge/internal/helmbin"
)

// The reference Helm binaries, as `make tools` builds them.
const (
	helm3 = "helm-v3.22.0"
	helm4 = "helm-v4.3.1"
)

// runHelm runs the reference Helm binary bin with args in a private home and
// returns its stdout, failing the test with its stderr if it fails.
func runHelm(t testing.TB, bin string, args ...string) string {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(helmbin.Find(t, bin), args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// helmCreate makes a chart with `helm create` in a new directory and returns
// the chart's directory.
func helmCreate(t testing.TB, bin, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	runHelm(t, bin, "create", dir)
	return dir
}

// helmPackage packages the chart directory dir with `helm package` and
// returns the archive's path.
func helmPackage(t testing.TB, bin, dir string, args ...string) string {
	t.Helper()
	out := t.TempDir()
	runHelm(t, bin, append([]string{"package", dir, "-d", out}, args...)...)
	m, err := filepath.Glob(filepath.Join(out, "*.tgz"))
	if err != nil || len(m) != 1 {
		t.Fatalf("helm package %s made %v (%v), want one archive", dir, m, err)
	}
	return m[0]
}

// ent is one entry of a test archive, written by tar.Writer as it is.
type ent struct {
	hdr  tar.Header
	body string
}

// file is a regular file entry.
func file(name, body string) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}, body: body}
}

// dirEnt is a directory entry.
func dirEnt(name string) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}}
}

// special is an entry of type flag with no data.
func special(flag byte, name, link string) ent {
	return ent{hdr: tar.Header{Typeflag: flag, Name: name, Linkname: link, Mode: 0o644}}
}

// chartEnts are the entries of a small valid chart under top/.
func chartEnts(top string) []ent {
	return []ent{
		file(top+"/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
		file(top+"/values.yaml", "replicas: 1\n"),
		file(top+"/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"),
	}
}

// makeTar writes ents as an uncompressed tar.
func makeTar(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatalf("tar header %q: %v", e.hdr.Name, err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatalf("tar data %q: %v", e.hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gz compresses b with gzip.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tgz writes ents as a gzipped tar.
func tgz(t testing.TB, ents ...ent) []byte {
	t.Helper()
	return gz(t, makeTar(t, ents...))
}

// retype sets the type flag of the tar header at byte offset off in b, a tar
// archive, and fixes the header's checksum; tar.Writer will not write some
// headers a hostile archive holds.
func retype(b []byte, off int, flag byte) {
	blk := b[off : off+512]
	blk[156] = flag
	copy(blk[148:156], "        ")
	sum := 0
	for _, c := range blk {
		sum += int(c)
	}
	copy(blk[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

// retyped returns a tar archive of ents with the type flag of ents[i] set to
// flag after writing. Each entry before i must take one header block.
func retyped(t testing.TB, ents []ent, i int, flag byte) []byte {
	t.Helper()
	b := makeTar(t, ents...)
	retype(b, offsetOf(ents, i), flag)
	return b
}

// offsetOf returns the offset of ents[i]'s header in a tar archive of ents,
// each taking a header block and its data rounded up to whole blocks.
func offsetOf(ents []ent, i int) int {
	off := 0
	for _, e := range ents[:i] {
		off += 512 + (len(e.body)+511)/512*512
	}
	return off
}

// paxRecord formats one PAX extended header record.
func paxRecord(k, v string) string {
	rec := " " + k + "=" + v + "\n"
	n := len(rec) + 1
	for len(fmt.Sprint(n))+len(rec) != n {
		n++
	}
	return fmt.Sprint(n) + rec
}

// withPAX returns a tar archive of ents with a hand-made PAX extended header
// holding records placed before the entry at index i: tar.Writer refuses to
// write some records (NUL bytes, GNU sparse keys) that hostile archives hold.
func withPAX(t testing.TB, ents []ent, i int, records ...string) []byte {
	t.Helper()
	pax := file("PaxHeaders/x", strings.Join(records, ""))
	all := append(append(append([]ent{}, ents[:i]...), pax), ents[i:]...)
	return retyped(t, all, i, tar.TypeXHeader)
}

// readDirFiles returns the regular files under dir, by slash-separated path
// relative to dir, failing the test on anything else but directories.
func readDirFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			t.Errorf("%s is not a regular file: %v", p, d.Type())
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// untarDirs makes the directories of a test of what Untar writes, in a new
// temporary directory parent: dest, for Untar, and outside, beside it,
// holding a file marker. An Untar that writes nothing outside dest leaves
// parent's tree as dest/, outside/ and outside/marker, and what it made.
func untarDirs(t testing.TB) (parent, dest string) {
	t.Helper()
	parent = t.TempDir()
	dest = filepath.Join(parent, "dest")
	outside := filepath.Join(parent, "outside")
	for _, d := range []string{dest, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "marker"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return parent, dest
}

// listTree returns every path under dir, relative to it, sorted, with "/"
// after directories.
func listTree(t testing.TB, dir string) []string {
	t.Helper()
	var got []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return got
}

// bufferedMap turns files into a map from name to content.
func bufferedMap(files []*loader.BufferedFile) map[string]string {
	m := map[string]string{}
	for _, f := range files {
		m[f.Name] = string(f.Data)
	}
	return m
}

// rawFiles returns the files of the chart directory dir as Helm's directory
// loader finds them (.helmignore honoured), by name.
func rawFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	ch, err := loader.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range ch.Raw {
		m[f.Name] = string(f.Data)
	}
	return m
}

// sortedStrings returns s sorted.
func sortedStrings(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// writeChart writes files, by slash-separated path, into a new directory
// named name and returns it.
func writeChart(t testing.TB, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	for p, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
