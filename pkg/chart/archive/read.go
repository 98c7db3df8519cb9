package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
)

// maxNesting bounds how deep subchart archives may sit inside one another:
// charts/a.tgz holding charts/b.tgz is two deep.
const maxNesting = 10

// utf8BOM is the byte order mark Helm's loaders strip from every file.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Sentinels the counting readers return when a limit is passed.
var (
	errArchiveTooBig = errors.New("archive over MaxArchive")
	errTooMuchData   = errors.New("uncompressed data over MaxTotal")
	errTrailingData  = errors.New("data after the gzip stream")
)

// countingReader reads from r until more than *left bytes have been read in
// all, then fails with over. left may be shared by several readers.
type countingReader struct {
	r    io.Reader
	left *int64
	over error
}

func (c *countingReader) Read(p []byte) (int, error) {
	if *c.left < 0 {
		return 0, c.over
	}
	if int64(len(p)) > *c.left {
		p = p[:*c.left+1]
	}
	n, err := c.r.Read(p)
	*c.left -= int64(n)
	if *c.left < 0 {
		return 0, c.over
	}
	return n, err
}

// members reads a gzip stream of one or more members, as gzip.Reader does
// by default, but fails with errTrailingData when what follows a member is
// not another.
type members struct {
	zr *gzip.Reader // with Multistream(false)
	in *bufio.Reader
}

func (m *members) Read(p []byte) (int, error) {
	for {
		n, err := m.zr.Read(p)
		if err != io.EOF {
			return n, err
		}
		head, err := m.in.Peek(2)
		switch {
		case len(head) == 0 && err == io.EOF:
			return n, io.EOF
		case len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b:
		case err != nil && err != io.EOF:
			return n, err
		default:
			return n, errTrailingData
		}
		if err := m.zr.Reset(m.in); err != nil {
			return n, err
		}
		m.zr.Multistream(false)
		if n > 0 {
			return n, nil
		}
	}
}

// Read reads the chart archive r, a gzipped tar, checking every entry as the
// package documentation describes, and returns its files with names relative
// to the chart's top-level directory ("Chart.yaml", "templates/service.yaml"),
// in the order of the archive, as loader.LoadFiles expects. Like Helm's
// loader it strips a UTF-8 byte order mark from the start of each file and
// skips directory entries. name (a path or URL) is used in errors only.
//
// Read reads r to its end: trailing data after the gzip stream, a truncated
// stream and a bad checksum are all refused. Any archive it refuses is
// reported as an *Error; a file under charts/ that Helm's loader would load
// as a subchart archive is read and checked too, and refused with the entry
// that holds it.
func Read(r io.Reader, name string, lim Limits) ([]*loader.BufferedFile, error) {
	files, _, err := read(r, name, lim)
	return files, err
}

// read is Read, also returning the name of the chart's top-level directory.
func read(r io.Reader, name string, lim Limits) ([]*loader.BufferedFile, string, error) {
	lim = lim.orDefaults()
	rd := &reader{lim: lim, entriesLeft: lim.MaxFiles, bytesLeft: lim.MaxTotal}
	return rd.read(r, name, lim.MaxArchive, 0)
}

// reader holds the budgets an archive and the subchart archives inside it
// share.
type reader struct {
	lim         Limits
	entriesLeft int
	bytesLeft   int64 // of uncompressed data
}

// scan is the reading of one archive.
type scan struct {
	name string
	body io.Reader // the uncompressed tar stream
	prev string    // the last entry read, for errors between entries
}

// fail returns an *Error for the archive.
func (s *scan) fail(entry, reason string, err error) *Error {
	return &Error{Archive: s.name, Entry: entry, Reason: reason, Err: err}
}

// read reads one archive of at most maxArchive compressed bytes, depth
// archives deep.
func (rd *reader) read(r io.Reader, name string, maxArchive int64, depth int) ([]*loader.BufferedFile, string, error) {
	s := &scan{name: name}
	archiveLeft := maxArchive
	in := bufio.NewReader(&countingReader{r: r, left: &archiveLeft, over: errArchiveTooBig})
	head, err := in.Peek(512)
	if err != nil && err != io.EOF {
		return nil, "", rd.streamError(s, "", err, false)
	}
	if reason := notGzip(head, name); reason != "" {
		return nil, "", s.fail("", reason, nil)
	}
	zr, err := gzip.NewReader(in)
	if err != nil {
		return nil, "", rd.streamError(s, "", err, false)
	}
	defer zr.Close()
	zr.Multistream(false)
	s.body = &countingReader{r: &members{zr: zr, in: in}, left: &rd.bytesLeft, over: errTooMuchData}
	tr := tar.NewReader(s.body)

	var files []*loader.BufferedFile
	names := newTree()
	top := ""
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		// With GODEBUG=tarinsecurepath=0, Next refuses some names itself;
		// refuse them with the others, below.
		if err != nil && !(errors.Is(err, tar.ErrInsecurePath) && hd != nil) {
			return nil, "", rd.streamError(s, "", err, true)
		}
		rd.entriesLeft--
		if rd.entriesLeft < 0 {
			return nil, "", s.fail(hd.Name, fmt.Sprintf("the archive holds more than %d entries (MaxFiles); if the chart really has that many files, raise the limit", rd.lim.MaxFiles), nil)
		}
		s.prev = hd.Name
		if hd.Typeflag == tar.TypeXGlobalHeader {
			// PAX global headers (git archive writes one) hold metadata only.
			continue
		}

		isDir := hd.Typeflag == tar.TypeDir
		parts, reason := checkName(hd.Name, isDir)
		if reason == "" {
			reason = checkType(hd)
		}
		if reason == "" {
			switch {
			case len(parts) == 1 && !isDir:
				reason = "the file is outside the chart's directory: a chart archive holds everything under one directory named after the chart, as in mychart/Chart.yaml; " + fixRepackage
			case top == "":
				top = parts[0]
			case parts[0] != top:
				reason = fmt.Sprintf("the entry is outside the chart's directory %q: a chart archive holds one chart, under one directory; %s", top+"/", fixRepackage)
			}
		}
		rel := ""
		if reason == "" {
			rel = strings.Join(parts[1:], "/")
			if isDir {
				reason = names.addDir(rel)
			} else {
				reason = names.addFile(rel)
			}
		}
		if reason != "" {
			return nil, "", s.fail(hd.Name, reason, nil)
		}
		if isDir {
			continue
		}

		if hd.Size > rd.lim.MaxFile {
			return nil, "", s.fail(hd.Name, fmt.Sprintf("the file is %d bytes uncompressed, over the limit of %d (MaxFile); keep large data out of charts (Helm 3 refuses files over 5 MiB as well), or raise the limit", hd.Size, rd.lim.MaxFile), nil)
		}
		if hd.Size > rd.bytesLeft {
			return nil, "", rd.streamError(s, hd.Name, errTooMuchData, false)
		}
		var buf bytes.Buffer
		buf.Grow(int(min(hd.Size, 64<<10)))
		// The tar reader gives Size bytes, no more, and the stream is counted.
		if _, err := io.Copy(&buf, tr); err != nil {
			return nil, "", rd.streamError(s, hd.Name, err, true)
		}
		if int64(buf.Len()) != hd.Size {
			// The tar reader gives exactly Size bytes of a plain file, or
			// fails, so this is a bug, not a bad archive; refuse all the
			// same.
			return nil, "", s.fail(hd.Name, fmt.Sprintf("the file holds %d bytes where its header says %d; %s", buf.Len(), hd.Size, fixRepackage), nil)
		}
		data := bytes.TrimPrefix(buf.Bytes(), utf8BOM)

		if isSubchartArchive(rel) {
			if depth+1 > maxNesting {
				return nil, "", s.fail(hd.Name, fmt.Sprintf("subchart archives are nested more than %d deep; %s", maxNesting, fixRepackage), nil)
			}
			if _, _, err := rd.read(bytes.NewReader(data), hd.Name, math.MaxInt64, depth+1); err != nil {
				var e *Error
				if !errors.As(err, &e) {
					return nil, "", err
				}
				inner := e.Reason
				if e.Entry != "" {
					inner = fmt.Sprintf("entry %q: %s", e.Entry, e.Reason)
				}
				return nil, "", s.fail(hd.Name, "the subchart archive is refused: "+inner, e.Err)
			}
		}
		files = append(files, &loader.BufferedFile{Name: rel, Data: data})
	}

	// Read to the end, so that a truncated stream, a bad checksum or data
	// after the gzip stream is found.
	s.prev = ""
	if _, err := io.Copy(io.Discard, s.body); err != nil {
		return nil, "", rd.streamError(s, "", err, false)
	}
	if len(files) == 0 {
		return nil, "", s.fail("", "the archive holds no files, where a chart archive holds at least mychart/Chart.yaml; "+fixRepackage, nil)
	}
	return files, top, nil
}

// checkType returns the reason an entry of hd's type is refused, or "".
func checkType(hd *tar.Header) string {
	const only = "chart archives hold only regular files and directories"
	switch hd.Typeflag {
	case tar.TypeReg, tar.TypeDir:
		for k := range hd.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				return "the entry is a sparse file; " + only + "; " + fixRepackage
			}
		}
		return ""
	case tar.TypeSymlink:
		return fmt.Sprintf("the entry is a symbolic link (to %q); %s, and a link could reach outside the chart; repackage the chart with `barge package` (or `helm package`), which stores what a link points to as a regular file", hd.Linkname, only)
	case tar.TypeLink:
		return fmt.Sprintf("the entry is a hard link (to %q); %s; repackage the chart with `barge package` (or `helm package`), which stores each file in full", hd.Linkname, only)
	case tar.TypeChar:
		return "the entry is a character device; " + only + "; " + fixUnsafe
	case tar.TypeBlock:
		return "the entry is a block device; " + only + "; " + fixUnsafe
	case tar.TypeFifo:
		return "the entry is a FIFO (named pipe); " + only + "; " + fixUnsafe
	case tar.TypeGNUSparse:
		return "the entry is a sparse file; " + only + "; " + fixRepackage
	}
	return fmt.Sprintf("the entry is of tar type %q; %s; %s", hd.Typeflag, only, fixRepackage)
}

// isSubchartArchive reports whether Helm's loader, loading the chart, would
// load the file rel as a subchart archive: charts/NAME.tgz, or the same
// inside a subchart directory (charts/sub/charts/NAME.tgz), where no NAME or
// sub starts with "_" or "." (Helm skips those).
func isSubchartArchive(rel string) bool {
	parts := strings.Split(rel, "/")
	if len(parts)%2 != 0 {
		return false
	}
	for i := 0; i < len(parts); i += 2 {
		if parts[i] != "charts" || strings.IndexAny(parts[i+1], "_.") == 0 {
			return false
		}
	}
	return filepath.Ext(parts[len(parts)-1]) == ".tgz"
}

// notGzip returns the reason an archive starting with head is refused
// before it is decompressed, or "" when it starts as a gzip stream does.
func notGzip(head []byte, name string) string {
	const want = "a chart archive is a gzipped tar (.tgz), made by `helm package`"
	switch {
	case len(head) == 0:
		return "the archive is empty; " + fixDownload
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return ""
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return "the archive is an uncompressed tar, but " + want + "; compress it with gzip, or " + fixRepackage
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "the archive is a zip file, but " + want
	case strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml"):
		return "the file seems to be YAML, but " + want + "; pass the chart's .tgz or its directory"
	}
	return fmt.Sprintf("the archive is not gzip-compressed (it starts with %q), but %s", head[:min(len(head), 8)], want)
}

// streamError turns an error reading the archive into an *Error. entry is
// the entry being read, if any. tarLevel says err came through the tar
// reader, which passes on the gzip reader's errors but also makes its own.
func (rd *reader) streamError(s *scan, entry string, err error, tarLevel bool) *Error {
	where := ""
	if entry == "" && s.prev != "" {
		where = fmt.Sprintf(" after entry %q", s.prev)
	}
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, errArchiveTooBig):
		return s.fail("", fmt.Sprintf("the archive is larger than %d bytes (MaxArchive); a chart this large could not be installed (release records are limited to a few MiB); if you mean only to unpack it, raise the limit", rd.lim.MaxArchive), err)
	case errors.Is(err, errTooMuchData):
		return s.fail(entry, fmt.Sprintf("the archive decompresses to more than %d bytes (MaxTotal): it is too large for a chart, or a decompression bomb; if the chart really is that large, raise the limit", rd.lim.MaxTotal), err)
	case errors.Is(err, gzip.ErrChecksum):
		return s.fail(entry, "the archive is corrupt: its gzip checksum does not match its data; "+fixDownload, err)
	case errors.As(err, &corrupt):
		return s.fail(entry, fmt.Sprintf("the archive is corrupt: its compressed data is invalid%s (%v); %s", where, err, fixDownload), err)
	case errors.Is(err, errTrailingData):
		return s.fail("", "the archive has data after the end of its gzip stream; "+fixDownload+", or "+fixRepackage, err)
	case errors.Is(err, gzip.ErrHeader):
		return s.fail("", "the archive's gzip header is invalid; "+fixDownload, err)
	case tarLevel && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, tar.ErrHeader)):
		// Either the gzip stream or the tar archive in it is cut short or
		// bad; reading on tells which.
		if _, gzErr := io.Copy(io.Discard, s.body); gzErr != nil {
			return rd.streamError(s, entry, gzErr, false)
		}
		if s.prev == "" {
			return s.fail("", "the gzip stream does not hold a tar archive, but "+
				"a chart archive is a gzipped tar (.tgz), made by `helm package`", err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return s.fail(entry, fmt.Sprintf("the tar archive inside the gzip stream is truncated%s; %s", where, fixRepackage), err)
		}
		return s.fail(entry, fmt.Sprintf("the tar archive is corrupt%s (%v); %s", where, err, fixRepackage), err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return s.fail(entry, fmt.Sprintf("the archive is truncated%s: it ends before its compressed data does; %s", where, fixDownload), err)
	}
	return s.fail(entry, fmt.Sprintf("the archive cannot be read%s: %v", where, err), err)
}
