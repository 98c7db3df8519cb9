package archive

import (
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
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus under testdata/fuzz")

// fuzzLimits are small, so that the fuzzer reaches them.
var fuzzLimits = Limits{MaxArchive: 1 << 20, MaxFile: 64 << 10, MaxTotal: 256 << 10, MaxFiles: 64}

// fuzzInput turns a fuzz input into an archive: the fuzzer finds more in a
// tar it can change freely, compressed here, than in gzip's checked bytes.
func fuzzInput(t *testing.T, data []byte, compress bool) []byte {
	if compress {
		return gz(t, data)
	}
	return data
}

// FuzzRead checks that Read never panics, refuses with an *Error naming the
// archive, keeps every promise about what it accepts, and accepts nothing
// Helm's own archive reader refuses (but names starting with "..", which
// Helm takes for a parent directory) or reads otherwise.
func FuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		in := fuzzInput(t, data, compress)
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
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		in := fuzzInput(t, data, compress)
		parent := t.TempDir()
		dest := filepath.Join(parent, "dest")
		outside := filepath.Join(parent, "outside")
		for _, d := range []string{dest, outside} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(outside, "marker"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
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
	"ok": true, "helm-create": true, "tar-ok": true, "tar-dirs": true, "tar-subchart": true,
	"tar-parent": true, "tar-symlink": true, "tar-duplicate": true,
	"bad-absolute": true, "bad-parent in the middle": true, "bad-two top directories": true,
}

// TestFuzzSeeds rewrites the fuzz targets' seed corpus with -update: the
// archives of the table tests, each as it is, and tars of entries worth
// changing, to be compressed by the target.
func TestFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite the seed corpus")
	}
	type seed struct {
		name     string
		data     []byte
		compress bool
	}
	var seeds []seed
	for _, tc := range badArchives() {
		seeds = append(seeds, seed{"bad-" + tc.name, tc.data(t, "/tmp/parent"), false})
	}
	seeds = append(seeds,
		seed{"ok", okTgz(t), false},
		seed{"tar-ok", makeTar(t, chartEnts("demo")...), true},
		seed{"tar-dirs", makeTar(t, append([]ent{dirEnt("demo/"), dirEnt("demo/templates/")}, chartEnts("demo")...)...), true},
		seed{"tar-subchart", makeTar(t, append(chartEnts("demo"), file("demo/charts/sub.tgz", string(okTgz(t))))...), true},
		seed{"tar-parent", makeTar(t, append(chartEnts("demo"), file("demo/../x", "x"))...), true},
		seed{"tar-symlink", makeTar(t, append(chartEnts("demo"), special('2', "demo/l", "../x"))...), true},
		seed{"tar-duplicate", makeTar(t, append(chartEnts("demo"), file("demo/a", "1"), file("demo/a/b", "2"))...), true},
		seed{"tar-long-name", makeTar(t, append(chartEnts("demo"), file("demo/"+strings.Repeat("x", 150), "x"))...), true},
		seed{"tar-pax", withPAX(t, chartEnts("demo"), 1, paxRecord("path", "demo/pax-name"), paxRecord("size", "3")), true},
	)
	if bin := helmBinOrEmpty(helm3); bin != "" {
		seeds = append(seeds, seed{"helm-create", readFileT(t, helmPackage(t, helm3, helmCreate(t, helm3, "demo"))), false})
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
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%v)\n", s.data, s.compress)
			name := "seed-" + strings.Trim(clean.ReplaceAllString(strings.ToLower(s.name), "-"), "-")
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// helmBinOrEmpty returns the path of the reference Helm binary bin, or ""
// when it is missing.
func helmBinOrEmpty(bin string) string {
	dir := os.Getenv("BARGE_TOOLS_BIN")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", ".cache", "bin")
	}
	p := filepath.Join(dir, bin)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
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
