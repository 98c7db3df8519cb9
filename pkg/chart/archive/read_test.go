package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// badCase is an archive Read must refuse.
type badCase struct {
	name    string
	archive string // the name Read is given; "bad.tgz" when empty
	// data makes the archive; parent is a directory that holds the
	// destination Untar is given, for archives that aim outside it.
	data   func(t testing.TB, parent string) []byte
	lim    Limits
	entry  string // the Error's Entry
	reason string // part of the Error's Reason
}

// okTgz is a small valid chart archive.
func okTgz(t testing.TB) []byte { return tgz(t, chartEnts("demo")...) }

// withEnts returns a data func for a gzipped tar of the small chart's
// entries followed by more.
func withEnts(more ...ent) func(testing.TB, string) []byte {
	return func(t testing.TB, _ string) []byte {
		return tgz(t, append(chartEnts("demo"), more...)...)
	}
}

// constant returns a data func that returns b.
func constant(b []byte) func(testing.TB, string) []byte {
	return func(testing.TB, string) []byte { return b }
}

// noise returns n bytes that do not compress.
func noise(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

// nested returns a chart archive holding depth levels of subchart archives,
// each as charts/cN.tgz of the one above.
func nested(t testing.TB, depth int) []byte {
	b := tgz(t, chartEnts("c0")...)
	for i := 1; i <= depth; i++ {
		top := fmt.Sprintf("c%d", i)
		b = tgz(t, append(chartEnts(top), file(fmt.Sprintf("%s/charts/c%d.tgz", top, i-1), string(b)))...)
	}
	return b
}

func badArchives() []badCase {
	return []badCase{
		// Not a gzipped tar at all.
		{name: "empty", data: constant(nil), reason: "the archive is empty"},
		{name: "YAML", archive: "values.yaml", data: constant([]byte("replicas: 3\n")), reason: "seems to be YAML"},
		{name: "text", data: constant([]byte("hello, world\n")), reason: "not gzip-compressed"},
		{name: "zip", data: constant([]byte("PK\x03\x04 rest of a zip")), reason: "a zip file"},
		{name: "uncompressed tar", data: func(t testing.TB, _ string) []byte { return makeTar(t, chartEnts("demo")...) }, reason: "uncompressed tar"},
		{name: "gzip header only", data: func(t testing.TB, _ string) []byte { return okTgz(t)[:10] }, reason: "truncated"},
		{name: "bad gzip method", data: constant([]byte("\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\xff")), reason: "gzip header is invalid"},
		{name: "gzip of text", data: func(t testing.TB, _ string) []byte { return gz(t, []byte("just some text\n")) }, reason: "does not hold a tar archive"},
		{name: "gzip of long text", data: func(t testing.TB, _ string) []byte { return gz(t, []byte(strings.Repeat("not a tar header ", 100))) }, reason: "does not hold a tar archive"},

		// Damaged in transit.
		{name: "truncated early", data: func(t testing.TB, _ string) []byte { return okTgz(t)[:20] }, reason: "truncated"},
		{name: "truncated in a file", data: func(t testing.TB, _ string) []byte {
			b := tgz(t, file("demo/Chart.yaml", "name: demo\n"), file("demo/noise.bin", noise(100_000)))
			return b[:len(b)/2]
		}, entry: "demo/noise.bin", reason: "truncated"},
		{name: "truncated trailer", data: func(t testing.TB, _ string) []byte { b := okTgz(t); return b[:len(b)-4] }, reason: "truncated"},
		{name: "bad checksum", data: func(t testing.TB, _ string) []byte { b := okTgz(t); b[len(b)-8] ^= 0xff; return b }, reason: "checksum"},
		{name: "corrupt deflate", data: func(t testing.TB, _ string) []byte { b := okTgz(t); b[10] = 0x07; return b }, reason: "corrupt"},
		{name: "data after gzip", data: func(t testing.TB, _ string) []byte { return append(okTgz(t), "junk"...) }, reason: "data after the end of its gzip stream"},
		{name: "tar truncated in gzip", data: func(t testing.TB, _ string) []byte {
			b := makeTar(t, chartEnts("demo")...)
			return gz(t, b[:512+20])
		}, entry: "demo/Chart.yaml", reason: "tar archive inside the gzip stream is truncated"},
		{name: "NUL in PAX path", data: func(t testing.TB, _ string) []byte {
			return gz(t, withPAX(t, chartEnts("demo"), 1, paxRecord("path", "demo/a\x00b")))
		}, reason: `corrupt after entry "demo/Chart.yaml"`},

		// Too big.
		{name: "over MaxArchive", data: func(t testing.TB, _ string) []byte { return okTgz(t) }, lim: Limits{MaxArchive: 100}, reason: "MaxArchive"},
		{name: "file over MaxFile", data: withEnts(file("demo/big.txt", strings.Repeat("x", 101))), lim: Limits{MaxFile: 100}, entry: "demo/big.txt", reason: "MaxFile"},
		{name: "files over MaxTotal", data: withEnts(
			file("demo/a.txt", strings.Repeat("a", 40_000)),
			file("demo/b.txt", strings.Repeat("b", 40_000)),
			file("demo/c.txt", strings.Repeat("c", 40_000)),
		), lim: Limits{MaxTotal: 100_000}, entry: "demo/c.txt", reason: "MaxTotal"},
		{name: "gzip bomb after the tar", data: func(t testing.TB, _ string) []byte {
			return gz(t, append(makeTar(t, chartEnts("demo")...), make([]byte, 8<<20)...))
		}, lim: Limits{MaxTotal: 1 << 20}, reason: "decompression bomb"},
		{name: "too many entries", data: withEnts(file("demo/a", ""), file("demo/b", "")), lim: Limits{MaxFiles: 4}, entry: "demo/b", reason: "MaxFiles"},
		{name: "too many directories", data: withEnts(dirEnt("demo/a/"), dirEnt("demo/b/")), lim: Limits{MaxFiles: 4}, entry: "demo/b/", reason: "MaxFiles"},
		{name: "path too deep", data: withEnts(file("demo/"+strings.Repeat("a/", maxDepth-1)+"x", "")), entry: "demo/" + strings.Repeat("a/", maxDepth-1) + "x", reason: "levels deep"},
		{name: "name too long", data: withEnts(file("demo/"+strings.Repeat("x", 5000), "")), entry: "demo/" + strings.Repeat("x", 5000), reason: "bytes long"},

		// Paths outside the chart's directory.
		{name: "parent in the middle", data: withEnts(file("demo/../evil", "x")), entry: "demo/../evil", reason: `".."`},
		{name: "parent at the top", data: withEnts(file("../evil", "x")), entry: "../evil", reason: `".."`},
		{name: "parent of a directory", data: withEnts(dirEnt("demo/../../")), entry: "demo/../../", reason: `".."`},
		{name: "absolute", data: func(t testing.TB, parent string) []byte {
			return tgz(t, append(chartEnts("demo"), file(filepath.ToSlash(parent)+"/evil", "x"))...)
		}, entry: "{parent}/evil", reason: "absolute"},
		{name: "backslash", data: withEnts(file(`demo\..\..\evil`, "x")), entry: `demo\..\..\evil`, reason: "backslash"},
		{name: "backslash in a file name", data: withEnts(file(`demo/templates\x.yaml`, "x")), entry: `demo/templates\x.yaml`, reason: "backslash"},
		{name: "drive letter", data: withEnts(file("C:/evil", "x")), entry: "C:/evil", reason: "drive letter"},
		{name: "drive letter inside", data: withEnts(file("demo/c:evil", "x")), entry: "demo/c:evil", reason: "drive letter"},
		{name: "dot", data: withEnts(file("demo/./x", "x")), entry: "demo/./x", reason: `"."`},
		{name: "dot at the top", data: func(t testing.TB, _ string) []byte { return tgz(t, chartEnts(".")...) }, entry: "./Chart.yaml", reason: `"."`},
		{name: "empty component", data: withEnts(file("demo//x", "x")), entry: "demo//x", reason: "empty"},
		{name: "file with a slash", data: func(t testing.TB, _ string) []byte {
			return gz(t, retyped(t, append(chartEnts("demo"), dirEnt("demo/x/")), 3, tar.TypeReg))
		}, entry: "demo/x/", reason: "empty"},
		{name: "file at the top", data: withEnts(file("README", "x")), entry: "README", reason: "outside the chart's directory"},
		{name: "Chart.yaml at the top", data: func(t testing.TB, _ string) []byte {
			return tgz(t, file("Chart.yaml", "name: demo\n"), file("demo/values.yaml", ""))
		}, entry: "Chart.yaml", reason: "outside the chart's directory"},
		{name: "two top directories", data: withEnts(file("other/Chart.yaml", "x")), entry: "other/Chart.yaml", reason: `outside the chart's directory "demo/"`},

		// Not regular files.
		{name: "symlink", data: withEnts(special(tar.TypeSymlink, "demo/templates/link.yaml", "/etc/passwd")), entry: "demo/templates/link.yaml", reason: "symbolic link"},
		{name: "symlink up", data: withEnts(special(tar.TypeSymlink, "demo/up", "../..")), entry: "demo/up", reason: "symbolic link"},
		{name: "hard link", data: withEnts(special(tar.TypeLink, "demo/hard", "demo/Chart.yaml")), entry: "demo/hard", reason: "hard link"},
		{name: "character device", data: withEnts(special(tar.TypeChar, "demo/tty", "")), entry: "demo/tty", reason: "character device"},
		{name: "block device", data: withEnts(special(tar.TypeBlock, "demo/sda", "")), entry: "demo/sda", reason: "block device"},
		{name: "FIFO", data: withEnts(special(tar.TypeFifo, "demo/pipe", "")), entry: "demo/pipe", reason: "FIFO"},
		{name: "unknown type", data: withEnts(special('Z', "demo/odd", "")), entry: "demo/odd", reason: "tar type"},
		{name: "PAX sparse file", data: func(t testing.TB, _ string) []byte {
			return gz(t, withPAX(t, append(chartEnts("demo"), file("demo/sparse", "hello")), 3,
				paxRecord("GNU.sparse.major", "0"), paxRecord("GNU.sparse.minor", "1"),
				paxRecord("GNU.sparse.name", "demo/sparse"), paxRecord("GNU.sparse.size", "100000"),
				paxRecord("GNU.sparse.numblocks", "1"), paxRecord("GNU.sparse.map", "0,5")))
		}, entry: "demo/sparse", reason: "sparse file"},
		{name: "GNU sparse file", data: func(t testing.TB, _ string) []byte {
			e := file("demo/sparse", "")
			e.hdr.Format = tar.FormatGNU
			return gz(t, retyped(t, append(chartEnts("demo"), e), 3, tar.TypeGNUSparse))
		}, entry: "demo/sparse", reason: "sparse file"},

		// Entries that clash.
		{name: "duplicate file", data: withEnts(file("demo/values.yaml", "replicas: 9\n")), entry: "demo/values.yaml", reason: "twice"},
		{name: "duplicate directory", data: withEnts(dirEnt("demo/x/"), dirEnt("demo/x/")), entry: "demo/x/", reason: "twice"},
		{name: "file then directory", data: withEnts(dirEnt("demo/values.yaml/")), entry: "demo/values.yaml/", reason: "as a file"},
		{name: "directory then file", data: withEnts(dirEnt("demo/x/"), file("demo/x", "")), entry: "demo/x", reason: "as a directory"},
		{name: "file inside a file", data: withEnts(file("demo/values.yaml/x", "")), entry: "demo/values.yaml/x", reason: `holds "values.yaml" as a file`},
		{name: "file above a file", data: withEnts(file("demo/templates", "")), entry: "demo/templates", reason: "as a directory"},

		// Nothing there.
		{name: "no files", data: func(t testing.TB, _ string) []byte { return tgz(t, dirEnt("demo/"), dirEnt("demo/templates/")) }, reason: "holds no files"},
		{name: "nothing", data: func(t testing.TB, _ string) []byte { return tgz(t) }, reason: "holds no files"},

		// Subchart archives are read, and refused, the same way.
		{name: "bad subchart archive", data: func(t testing.TB, _ string) []byte {
			sub := tgz(t, append(chartEnts("sub"), file("sub/../../evil", "x"))...)
			return tgz(t, append(chartEnts("demo"), file("demo/charts/sub-0.1.0.tgz", string(sub)))...)
		}, entry: "demo/charts/sub-0.1.0.tgz", reason: `the subchart archive is refused: entry "sub/../../evil"`},
		{name: "subchart archive not gzip", data: withEnts(file("demo/charts/sub/charts/x.tgz", "not gzip")),
			entry: "demo/charts/sub/charts/x.tgz", reason: "the subchart archive is refused: the archive is not gzip-compressed"},
		{name: "subchart bomb", data: func(t testing.TB, _ string) []byte {
			sub := gz(t, append(makeTar(t, chartEnts("sub")...), make([]byte, 2<<20)...))
			return tgz(t, append(chartEnts("demo"), file("demo/charts/sub.tgz", string(sub)))...)
		}, lim: Limits{MaxTotal: 1 << 20}, entry: "demo/charts/sub.tgz", reason: "decompression bomb"},
		{name: "subcharts nested too deep", data: func(t testing.TB, _ string) []byte { return nested(t, maxNesting+1) },
			entry: fmt.Sprintf("c%d/charts/c%d.tgz", maxNesting+1, maxNesting), reason: "nested more than"},
	}
}

// TestReadRefuses checks that Read, Load and Untar refuse each bad archive
// with the same *Error, naming the archive and the entry, and that Untar
// writes nothing, in its destination or outside it.
func TestReadRefuses(t *testing.T) {
	for _, tc := range badArchives() {
		t.Run(tc.name, func(t *testing.T) {
			parent, dest := untarDirs(t)
			data := tc.data(t, parent)
			entry := strings.ReplaceAll(tc.entry, "{parent}", filepath.ToSlash(parent))
			name := tc.archive
			if name == "" {
				name = "bad.tgz"
			}

			files, err := Read(bytes.NewReader(data), name, tc.lim)
			if err == nil {
				t.Fatalf("Read accepted the archive: %d files", len(files))
			}
			want := checkRefusal(t, "Read", err, name, entry, tc.reason)

			_, err = Load(bytes.NewReader(data), name, tc.lim)
			if got := checkRefusal(t, "Load", err, name, entry, tc.reason); got != nil && want != nil && got.Reason != want.Reason {
				t.Errorf("Load's reason differs from Read's:\n%s\n%s", got.Reason, want.Reason)
			}

			dir, err := Untar(bytes.NewReader(data), name, dest, tc.lim)
			if dir != "" {
				t.Errorf("Untar returned %q with its error", dir)
			}
			checkRefusal(t, "Untar", err, name, entry, tc.reason)
			if diff := cmp.Diff([]string{"dest/", "outside/", "outside/marker"}, listTree(t, parent)); diff != "" {
				t.Errorf("Untar left files behind (-want +got):\n%s", diff)
			}
		})
	}
}

// checkRefusal checks that err is an *Error for the archive name, entry and
// reason, and returns it.
func checkRefusal(t *testing.T, op string, err error, name, entry, reason string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%s: got %T %v, want *Error", op, err, err)
		return nil
	}
	if e.Archive != name {
		t.Errorf("%s: Archive = %q, want %q", op, e.Archive, name)
	}
	if e.Entry != entry {
		t.Errorf("%s: Entry = %q, want %q (%v)", op, e.Entry, entry, err)
	}
	if !strings.Contains(e.Reason, reason) {
		t.Errorf("%s: Reason = %q, want it to hold %q", op, e.Reason, reason)
	}
	if !strings.HasPrefix(err.Error(), "chart archive "+name+": ") {
		t.Errorf("%s: error %q does not start by naming the archive", op, err)
	}
	if entry != "" && !strings.Contains(err.Error(), fmt.Sprintf("entry %q", entry)) {
		t.Errorf("%s: error %q does not name the entry", op, err)
	}
	return e
}

// TestReadAccepts checks archives that are not what `helm package` makes but
// are sound: Read keeps their files, stripped of the top directory.
func TestReadAccepts(t *testing.T) {
	chart := map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		"values.yaml":       "replicas: 1\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
	}
	with := func(more map[string]string) map[string]string {
		m := maps(chart)
		for k, v := range more {
			m[k] = v
		}
		return m
	}
	long := strings.Repeat("d", 90) + "/" + strings.Repeat("f", 90) // over USTAR's 100 bytes of name
	longer := strings.Repeat("e", 300)                              // over USTAR's prefix too
	sub := tgz(t, chartEnts("sub")...)

	tests := []struct {
		name string
		data []byte
		want map[string]string
	}{
		{name: "plain", data: okTgz(t), want: chart},
		{name: "directory entries", data: tgz(t, append([]ent{dirEnt("demo/"), dirEnt("demo/templates/")}, chartEnts("demo")...)...), want: chart},
		{name: "directory entry after its files", data: tgz(t, append(chartEnts("demo"), dirEnt("demo/templates"))...), want: chart},
		{name: "git archive's PAX global header", data: tgz(t, append([]ent{{hdr: tar.Header{
			Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "0123456789abcdef"},
		}}}, chartEnts("demo")...)...), want: chart},
		{name: "long names", data: tgz(t, append(chartEnts("demo"), file("demo/"+long, "a"), file("demo/"+longer, "b"))...), want: with(map[string]string{long: "a", longer: "b"})},
		{name: "GNU long names", data: tgz(t, append(chartEnts("demo"), ent{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "demo/" + longer, Size: 1, Mode: 0o644, Format: tar.FormatGNU}, body: "b"})...), want: with(map[string]string{longer: "b"})},
		{name: "byte order marks stripped", data: tgz(t, append(chartEnts("demo"), file("demo/bom.txt", "\xEF\xBB\xBFtext"))...), want: with(map[string]string{"bom.txt": "text"})},
		{name: "empty file", data: tgz(t, append(chartEnts("demo"), file("demo/empty", ""))...), want: with(map[string]string{"empty": ""})},
		{name: "tar record padding", data: gz(t, append(makeTar(t, chartEnts("demo")...), make([]byte, 10240)...)), want: chart},
		{name: "two gzip members", data: func() []byte {
			b := makeTar(t, chartEnts("demo")...)
			return append(gz(t, b[:700]), gz(t, b[700:])...)
		}(), want: chart},
		{name: "subchart archive", data: tgz(t, append(chartEnts("demo"), file("demo/charts/sub-0.1.0.tgz", string(sub)))...), want: with(map[string]string{"charts/sub-0.1.0.tgz": string(sub)})},
		{name: "skipped subchart names are not read", data: tgz(t, append(chartEnts("demo"), file("demo/charts/_old.tgz", "x"), file("demo/charts/.x.tgz", "x"), file("demo/files/x.tgz", "x"))...),
			want: with(map[string]string{"charts/_old.tgz": "x", "charts/.x.tgz": "x", "files/x.tgz": "x"})},
		{name: "another top directory name", data: tgz(t, chartEnts("whatever-1.0")...), want: chart},
		{name: "odd but harmless names", data: tgz(t, append(chartEnts("demo"), file("demo/files/a b..c/ü.txt", "u"), file("demo/..x", "d"))...), want: with(map[string]string{"files/a b..c/ü.txt": "u", "..x": "d"})},
		{name: "nested subcharts", data: nested(t, maxNesting), want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Read(bytes.NewReader(tc.data), "ok.tgz", Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				return
			}
			if diff := cmp.Diff(tc.want, bufferedMap(files)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

// maps returns a copy of m.
func maps(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestReadLimitsExact checks the limits' edges: at a limit is allowed, one
// over is not.
func TestReadLimitsExact(t *testing.T) {
	data := tgz(t, append(chartEnts("demo"), file("demo/f", strings.Repeat("x", 1000)))...)
	tests := []struct {
		name string
		lim  Limits
		ok   bool
	}{
		{name: "no limits", lim: Limits{MaxArchive: math.MaxInt64, MaxFile: math.MaxInt64, MaxTotal: math.MaxInt64, MaxFiles: math.MaxInt}, ok: true},
		{name: "MaxArchive at", lim: Limits{MaxArchive: int64(len(data))}, ok: true},
		{name: "MaxArchive under", lim: Limits{MaxArchive: int64(len(data)) - 1}},
		{name: "MaxFile at", lim: Limits{MaxFile: 1000}, ok: true},
		{name: "MaxFile under", lim: Limits{MaxFile: 999}},
		{name: "MaxFiles at", lim: Limits{MaxFiles: 4}, ok: true},
		{name: "MaxFiles under", lim: Limits{MaxFiles: 3}},
		// The tar stream: 4 headers and 4 files, each rounded up to 512
		// bytes, and the 1024 bytes that end the archive, then Go's
		// writer pads nothing more.
		{name: "MaxTotal at", lim: Limits{MaxTotal: int64(len(makeTar(t, append(chartEnts("demo"), file("demo/f", strings.Repeat("x", 1000)))...)))}, ok: true},
		{name: "MaxTotal under", lim: Limits{MaxTotal: int64(len(makeTar(t, append(chartEnts("demo"), file("demo/f", strings.Repeat("x", 1000)))...))) - 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(data), "edge.tgz", tc.lim)
			if tc.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.ok && err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestDefaultLimits checks the defaults and that zero fields take them.
func TestDefaultLimits(t *testing.T) {
	want := Limits{MaxArchive: 20 << 20, MaxFile: 5 << 20, MaxTotal: 100 << 20, MaxFiles: 10_000}
	if diff := cmp.Diff(want, DefaultLimits()); diff != "" {
		t.Errorf("DefaultLimits (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, Limits{MaxFile: -1}.orDefaults()); diff != "" {
		t.Errorf("orDefaults (-want +got):\n%s", diff)
	}
	if got := (Limits{MaxFiles: 7}).orDefaults().MaxFiles; got != 7 {
		t.Errorf("orDefaults replaced a set field: MaxFiles = %d", got)
	}
}

// TestReadReaderError checks that a failing reader is reported as an *Error
// that wraps its error.
func TestReadReaderError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(okTgz(t)[:30]), iotestErrReader{boom})
	_, err := Read(r, "https://example.com/demo-0.1.0.tgz", Limits{})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, boom) || e.Archive != "https://example.com/demo-0.1.0.tgz" {
		t.Errorf("got %v, want an *Error wrapping %v", err, boom)
	}
}

// iotestErrReader fails every read with its error.
type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

func TestCheckName(t *testing.T) {
	tests := []struct {
		name   string
		dir    bool
		want   []string
		reason string
	}{
		{name: "demo/Chart.yaml", want: []string{"demo", "Chart.yaml"}},
		{name: "demo/templates/", dir: true, want: []string{"demo", "templates"}},
		{name: "demo/", dir: true, want: []string{"demo"}},
		{name: "demo/x/", reason: "empty"},
		{name: "", reason: "no name"},
		{name: "demo/a\x00b", reason: "NUL"},
		{name: `demo\x`, reason: "backslash"},
		{name: "/demo/x", reason: "absolute"},
		{name: "demo/../../x", reason: `".."`},
		{name: "..", dir: true, reason: `".."`},
		{name: "D:/x", reason: "drive letter"},
		{name: "demo/D:", reason: "drive letter"},
		{name: "demo/1:x", want: []string{"demo", "1:x"}},
		{name: "demo/./x", reason: `"."`},
		{name: "demo//x", reason: "empty"},
		{name: "./demo/x", reason: `"."`},
		{name: "demo/" + strings.Repeat("x", maxNameLen), reason: "bytes long"},
		{name: strings.Repeat("a/", maxDepth-1) + "x", want: strings.Split(strings.Repeat("a/", maxDepth-1)+"x", "/")},
		{name: strings.Repeat("a/", maxDepth) + "x", reason: "levels deep"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.name), func(t *testing.T) {
			got, reason := checkName(tc.name, tc.dir)
			if tc.reason == "" {
				if reason != "" {
					t.Fatalf("refused: %s", reason)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("parts (-want +got):\n%s", diff)
				}
				return
			}
			if !strings.Contains(reason, tc.reason) {
				t.Errorf("reason %q, want it to hold %q", reason, tc.reason)
			}
		})
	}
}

func TestIsSubchartArchive(t *testing.T) {
	for name, want := range map[string]bool{
		"charts/a.tgz":               true,
		"charts/a-1.0.0.tgz":         true,
		"charts/sub/charts/b.tgz":    true,
		"charts/_a.tgz":              false,
		"charts/.a.tgz":              false,
		"charts/_sub/charts/b.tgz":   false,
		"charts/a.tar.gz":            false,
		"charts/a.tgz.prov":          false,
		"charts/sub/b.tgz":           false,
		"templates/charts/a.tgz":     false,
		"a.tgz":                      false,
		"charts/sub/charts/c/d.tgz":  false,
		"charts/sub/charts/x/charts": false,
	} {
		if got := isSubchartArchive(name); got != want {
			t.Errorf("isSubchartArchive(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Archive: "x.tgz", Reason: "the archive is empty"}, "chart archive x.tgz: the archive is empty"},
		{&Error{Archive: "x.tgz", Entry: "x/a\nb", Reason: "bad"}, `chart archive x.tgz: entry "x/a\nb": bad`},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
