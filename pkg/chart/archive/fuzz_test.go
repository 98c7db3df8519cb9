package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/bargehq/barge/internal/helmbin"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus under testdata/fuzz")

// fuzzLimits are small, so that the fuzzer reaches them.
var fuzzLimits = Limits{MaxArchive: 1 << 20, MaxFile: 64 << 10, MaxTotal: 256 << 10, MaxFiles: 64}

// The kinds of fuzz input; see fuzzInput.
const (
	fuzzRaw  = iota // the archive as it is
	fuzzTar         // a tar, compressed by fuzzInput
	fuzzSpec        // entries, written as a tar by fuzzInput
)

// fuzzInput turns a fuzz input into an archive. The fuzzer finds little in
// gzip's and tar's checksummed bytes; given a tar it finds more, and given
// a list of entries, written with tar.Writer (which gets the checksums
// right), it tries names, types and clashes freely. A list of entries holds
// one a line: the type flag, the name, "=", then the data (or a link's
// target). It returns nil for a list tar.Writer cannot write.
func fuzzInput(t *testing.T, data []byte, kind uint8) []byte {
	switch kind % 3 {
	case fuzzTar:
		return gz(t, data)
	case fuzzSpec:
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			name, body, _ := bytes.Cut(line[1:], []byte("="))
			hd := &tar.Header{Typeflag: line[0], Name: string(name), Mode: 0o644}
			switch hd.Typeflag {
			case tar.TypeSymlink, tar.TypeLink:
				hd.Linkname = string(body)
				body = nil
			case tar.TypeReg, '\x00': // '\x00' is the old TypeRegA
				hd.Size = int64(len(body))
			default:
				body = nil
			}
			if tw.WriteHeader(hd) != nil {
				return nil
			}
			if _, err := tw.Write(body); err != nil {
				return nil
			}
		}
		if tw.Close() != nil {
			return nil
		}
		return gz(t, buf.Bytes())
	}
	return data
}

// FuzzRead checks that Read never panics, refuses with an *Error naming the
// archive, keeps every promise about what it accepts, and accepts nothing
// Helm's own archive reader refuses (but names starting with "..", which
// Helm takes for a parent directory) or reads otherwise.
func FuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		in := fuzzInput(t, data, kind)
		if in == nil {
			return
		}
		files, err := Read(bytes.NewReader(in), "fuzz.tgz", fuzzLimits)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Archive != "fuzz.tgz" || !strings.HasPrefix(err.Error(), "chart archive fuzz.tgz: ") {
				t.Fatalf("error %T %v is not an *Error naming the archive", err, err)
			}
			return
		}
		checkAccepted(t, files)

		helmFiles, err := loader.LoadArchiveFiles(bytes.NewReader(in))
		if err != nil {
			for _, f := range files {
				if strings.HasPrefix(f.Name, "..") {
					return
				}
			}
			t.Fatalf("Read accepted what Helm's reader refuses: %v", err)
		}
		if diff := cmp.Diff(bufferedMap(helmFiles), bufferedMap(files)); diff != "" {
			t.Fatalf("Read and Helm's reader differ (-helm +Read):\n%s", diff)
		}
	})
}

// checkAccepted checks what Read promises of the files of an archive it
// accepts.
func checkAccepted(t *testing.T, files []*loader.BufferedFile) {
	t.Helper()
	if len(files) == 0 || len(files) > fuzzLimits.MaxFiles {
		t.Fatalf("accepted %d files", len(files))
	}
	names := newTree()
	var total int64
	for _, f := range files {
		if _, reason := checkName("top/"+f.Name, false); reason != "" {
			t.Fatalf("accepted %q: %s", f.Name, reason)
		}
		if reason := names.addFile(f.Name); reason != "" {
			t.Fatalf("accepted %q: %s", f.Name, reason)
		}
		if int64(len(f.Data)) > fuzzLimits.MaxFile {
			t.Fatalf("accepted %q of %d bytes", f.Name, len(f.Data))
		}
		total += int64(len(f.Data))
	}
	if total > fuzzLimits.MaxTotal {
		t.Fatalf("accepted %d bytes in all", total)
	}
}

// FuzzUntar checks that Untar writes nothing outside its destination, and
// on error nothing at all, and on success exactly the files Read gives.
func FuzzUntar(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		in := fuzzInput(t, data, kind)
		if in == nil {
			return
		}
		parent, dest := untarDirs(t)
		dir, err := Untar(bytes.NewReader(in), "fuzz.tgz", dest, fuzzLimits)
		tree := listTree(t, parent)
		if err != nil {
			if diff := cmp.Diff([]string{"dest/", "outside/", "outside/marker"}, tree); diff != "" {
				t.Fatalf("Untar failed (%v) and left files (-want +got):\n%s", err, diff)
			}
			return
		}
		rel, relErr := filepath.Rel(dest, dir)
		if relErr != nil || strings.Contains(rel, string(filepath.Separator)) || rel == "." || rel == ".." {
			t.Fatalf("Untar made %s, not a directory directly in %s", dir, dest)
		}
		for _, p := range tree {
			if p != "dest/" && p != "outside/" && p != "outside/marker" && !strings.HasPrefix(p, "dest/"+filepath.ToSlash(rel)+"/") {
				t.Fatalf("Untar wrote %s", p)
			}
		}
		files, err := Read(bytes.NewReader(in), "fuzz.tgz", fuzzLimits)
		if err != nil {
			t.Fatalf("Untar accepted what Read refuses: %v", err)
		}
		if diff := cmp.Diff(bufferedMap(files), readDirFiles(t, dir)); diff != "" {
			t.Fatalf("Untar wrote other files than Read gives (-Read +Untar):\n%s", diff)
		}
	})
}

// maxSeed bounds the size of a seed in the checked-in corpus.
const maxSeed = 32 << 10

// untarSeed names the seeds FuzzUntar gets too: the rest of FuzzRead's add
// little to what FuzzUntar checks.
var untarSeed = map[string]bool{
	"ok": true, "helm-create": true, "tar-ok": true, "tar-subchart": true,
	"spec-ok": true, "spec-dirs": true, "spec-parent": true, "spec-absolute": true,
	"spec-symlink": true, "spec-clash": true, "spec-top": true, "spec-odd-names": true,
}

// TestFuzzSeeds rewrites the fuzz targets' seed corpus with -update (the
// files named seed-*): the archives of the table tests, and tars and lists
// of entries worth changing (see fuzzInput).
func TestFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite the seed corpus")
	}
	type seed struct {
		name string
		data []byte
		kind uint8
	}
	var seeds []seed
	for _, tc := range badArchives() {
		seeds = append(seeds, seed{"bad-" + tc.name, tc.data(t, "/tmp/parent"), fuzzRaw})
	}
	const chart = "0demo/Chart.yaml={apiVersion: v2, name: demo, version: 0.1.0}\n0demo/values.yaml=a: 1\n0demo/templates/cm.yaml=kind: ConfigMap\n"
	seeds = append(seeds,
		seed{"ok", okTgz(t), fuzzRaw},
		seed{"tar-ok", makeTar(t, chartEnts("demo")...), fuzzTar},
		seed{"tar-subchart", makeTar(t, append(chartEnts("demo"), file("demo/charts/sub.tgz", string(okTgz(t))))...), fuzzTar},
		seed{"tar-pax", withPAX(t, chartEnts("demo"), 1, paxRecord("path", "demo/pax-name"), paxRecord("size", "3")), fuzzTar},
		seed{"spec-ok", []byte(chart), fuzzSpec},
		seed{"spec-dirs", []byte("5demo/\n5demo/templates/\n" + chart), fuzzSpec},
		seed{"spec-parent", []byte(chart + "0demo/../x=x\n"), fuzzSpec},
		seed{"spec-absolute", []byte(chart + "0/tmp/x=x\n"), fuzzSpec},
		seed{"spec-symlink", []byte(chart + "2demo/l=../x\n1demo/h=demo/Chart.yaml\n"), fuzzSpec},
		seed{"spec-clash", []byte(chart + "0demo/a=1\n0demo/a/b=2\n5demo/values.yaml/\n"), fuzzSpec},
		seed{"spec-top", []byte(chart + "0other/x=1\n0README=x\n"), fuzzSpec},
		seed{"spec-odd-names", []byte(chart + "0demo/..x=1\n0demo/a\\b=2\n0demo/c:x=3\n0demo/./y=4\n"), fuzzSpec},
		seed{"spec-devices", []byte(chart + "3demo/c=\n4demo/b=\n6demo/f=\n"), fuzzSpec},
	)
	if _, err := helmbin.Path(helm3); err == nil {
		seeds = append(seeds, seed{"helm-create", readFileT(t, helmPackage(t, helm3, helmCreate(t, helm3, "demo"))), fuzzRaw})
	}
	clean := regexp.MustCompile(`[^a-zA-Z0-9-]+`)
	for _, target := range []string{"FuzzRead", "FuzzUntar"} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		old, err := filepath.Glob(filepath.Join(dir, "seed-*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range old {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range seeds {
			if len(s.data) > maxSeed || target == "FuzzUntar" && !untarSeed[s.name] {
				continue
			}
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint8(%d)\n", s.data, s.kind)
			name := "seed-" + strings.Trim(clean.ReplaceAllString(strings.ToLower(s.name), "-"), "-")
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// readFileT reads the file p.
func readFileT(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
