package archive

import "fmt"

// Limits bound what an archive may hold. A field that is zero or negative
// takes its value from DefaultLimits, so Limits{} means the defaults; to lift
// a limit, set it to a very large value.
type Limits struct {
	// MaxArchive bounds the bytes of the compressed archive, everything
	// read from the reader.
	MaxArchive int64
	// MaxFile bounds the bytes of one file, uncompressed.
	MaxFile int64
	// MaxTotal bounds the bytes of all files, uncompressed. It is counted
	// on the whole uncompressed tar stream, so tar's own headers (512 bytes
	// an entry) count too, and so do the contents of subchart archives
	// under charts/, on top of their compressed bytes.
	MaxTotal int64
	// MaxFiles bounds the number of entries, directories and the entries
	// of subchart archives included.
	MaxFiles int
}

// Default limits; see DefaultLimits.
const (
	defaultMaxArchive = 20 << 20
	defaultMaxFile    = 5 << 20
	defaultMaxTotal   = 100 << 20
	defaultMaxFiles   = 10_000
)

// DefaultLimits returns the limits Read uses for a zero Limits field:
//
//   - MaxTotal 100 MiB and MaxFile 5 MiB, Helm's own limits since 3.17
//     (loader.MaxDecompressedChartSize and loader.MaxDecompressedFileSize;
//     Helm's directory loader refuses files over 5 MiB too, so `helm
//     package` never makes an archive with a larger one).
//   - MaxArchive 20 MiB. Helm has no limit on the compressed size. Installing
//     a chart stores it, compressed, in the release record: Helm fails over
//     a Secret's 1 MiB and barge refuses records over 8 MiB, so an archive
//     over 20 MiB cannot be installed by either; the limit only bounds what
//     is downloaded and read before that is found out.
//   - MaxFiles 10,000 entries. Helm has no such limit; the largest charts in
//     public repositories hold a few hundred files, subcharts included. It
//     bounds the work of checking names and the memory of many tiny files.
func DefaultLimits() Limits {
	return Limits{
		MaxArchive: defaultMaxArchive,
		MaxFile:    defaultMaxFile,
		MaxTotal:   defaultMaxTotal,
		MaxFiles:   defaultMaxFiles,
	}
}

// orDefaults returns l with each zero or negative field replaced by its
// default.
func (l Limits) orDefaults() Limits {
	d := DefaultLimits()
	if l.MaxArchive <= 0 {
		l.MaxArchive = d.MaxArchive
	}
	if l.MaxFile <= 0 {
		l.MaxFile = d.MaxFile
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = d.MaxTotal
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	return l
}

// Error is a refused archive. Read, Load, LoadFile and Untar return an
// *Error for every archive they refuse or cannot read, including one whose
// reader fails; errors of the file system around it (an archive file that
// cannot be opened, a destination that cannot be written) are returned as
// they are, wrapped.
type Error struct {
	// Archive is the name the archive was given: a path or a URL.
	Archive string
	// Entry is the name of the entry at fault, as the archive spells it,
	// or "" when the fault is the archive's as a whole.
	Entry string
	// Reason says what is wrong and how to fix it.
	Reason string
	// Err is the underlying error, if any, for errors.Is and errors.As.
	Err error
}

// Error returns "chart archive NAME: entry "ENTRY": REASON", without the
// entry part when Entry is empty.
func (e *Error) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("chart archive %s: %s", e.Archive, e.Reason)
	}
	return fmt.Sprintf("chart archive %s: entry %q: %s", e.Archive, e.Entry, e.Reason)
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }
