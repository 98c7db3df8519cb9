package repo

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/bargehq/barge/pkg/repo/getter"
)

// ErrNoCache is wrapped by the error of Cache.Load for a repository whose
// index has not been downloaded (no <name>-index.yaml in the cache).
var ErrNoCache = errors.New("no cached index")

// Cache is the repository cache Helm and barge share: for each configured
// repository, Helm's <name>-index.yaml and <name>-charts.txt, and beside them
// barge's compact form of the index, <name>-index.barge, from which lookups
// and searches load in milliseconds.
//
// The compact form records the size, modification time and SHA-256 of the
// index.yaml it was made from: when the index.yaml changes (a
// "helm repo update" rewrote it), Load rebuilds it from the YAML.
//
// A Cache may be used by several goroutines at once, and several processes
// may share its directory: files are replaced atomically.
type Cache struct {
	// Paths locates the cache directory.
	Paths Paths
	// Client downloads indexes (Update only).
	Client *getter.Client
	// Logger, if set, is told when a compact index is rebuilt or cannot be
	// written.
	Logger *slog.Logger
}

// getterRepo is the getter's view of a configured repository.
func getterRepo(e *Entry) getter.Repo {
	return getter.Repo{
		Name: e.Name, URL: e.URL,
		Username: e.Username, Password: e.Password,
		CertFile: e.CertFile, KeyFile: e.KeyFile, CAFile: e.CAFile,
		InsecureSkipTLSVerify: e.InsecureSkipTLSVerify,
		PassCredentialsAll:    e.PassCredentialsAll,
	}
}

// Update downloads the index of the repository e (e.URL/index.yaml), checks
// it (ParseIndex), and writes Helm's cache files for it, <name>-index.yaml
// and <name>-charts.txt, and barge's compact form. Nothing is written unless
// the index parses; entries it left out are in the returned Index's Skipped.
func (c *Cache) Update(ctx context.Context, e *Entry) (*Index, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	client := c.client()
	data, err := client.Index(ctx, getterRepo(e))
	if err != nil {
		return nil, err
	}
	idxURL, _ := getter.ResolveURL(e.URL, "index.yaml")
	idx, err := parseIndex(data, fmt.Sprintf("repository %q (%s)", e.Name, getter.Redact(idxURL)), client.Limit(getter.KindIndex))
	if err != nil {
		return nil, err
	}
	idx.Repo = e.Name
	if err := c.write(e.Name, data, idx); err != nil {
		return nil, err
	}
	return idx, nil
}

// write stores an index downloaded for the repository name: Helm's two files
// and the compact form.
func (c *Cache) write(name string, data []byte, idx *Index) error {
	yamlPath := c.Paths.IndexFile(name)
	if err := writeFileAtomic(yamlPath, data, 0o644); err != nil {
		return fmt.Errorf("repository %q: writing the cached index: %w", name, err)
	}
	names := make([]string, 0, len(idx.Entries))
	for n := range idx.Entries {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	if err := writeFileAtomic(c.Paths.ChartsFile(name), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("repository %q: writing the cached chart list: %w", name, err)
	}
	fi, err := os.Stat(yamlPath)
	if err != nil {
		return fmt.Errorf("repository %q: %w", name, err)
	}
	st := stamp{Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), SHA256: sha256.Sum256(data)}
	if err := writeFileAtomic(c.Paths.CompactFile(name), encodeCompact(idx, st), 0o644); err != nil {
		return fmt.Errorf("repository %q: writing the compact index: %w", name, err)
	}
	return nil
}

// Load returns the cached index of the repository name, from its compact
// form, made anew from <name>-index.yaml when that file changed since (or
// when the compact form is missing or damaged). The Index holds only what
// lookups and searches use (see Index). Entries left out when the index was
// checked are in its Skipped. A repository never downloaded fails with an
// error wrapping ErrNoCache that says to run "barge repo update". ctx stops
// a rebuild before it starts.
func (c *Cache) Load(ctx context.Context, name string) (*Index, error) {
	yamlPath := c.Paths.IndexFile(name)
	fi, err := os.Stat(yamlPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("repository %q: %w (%s): run 'barge repo update %s'", name, ErrNoCache, yamlPath, name)
	}
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", name, err)
	}
	source := fmt.Sprintf("repository %q (%s)", name, yamlPath)
	compactPath := c.Paths.CompactFile(name)
	var (
		cidx *Index
		st   stamp
	)
	if b, err := os.ReadFile(compactPath); err == nil {
		cidx, st, err = decodeCompact(b)
		if err == nil && st.Size == fi.Size() && st.ModTime == fi.ModTime().UnixNano() {
			return c.finish(cidx, name, source), nil
		}
		if err != nil {
			c.log("compact index damaged: rebuilding it", "repository", name, "file", compactPath, "error", err)
		}
	}

	// The index.yaml changed, or has no compact form yet.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(yamlPath)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", name, err)
	}
	fi, err = os.Stat(yamlPath)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", name, err)
	}
	newSt := stamp{Size: int64(len(data)), ModTime: fi.ModTime().UnixNano(), SHA256: sha256.Sum256(data)}
	if fi.Size() != newSt.Size {
		// Rewritten while read: make nothing that would look current.
		newSt.ModTime = 0
	}
	idx := cidx
	if cidx == nil || st.SHA256 != newSt.SHA256 {
		idx, err = parseIndex(data, source, c.client().Limit(getter.KindIndex))
		if err != nil {
			return nil, fmt.Errorf("%w; run 'barge repo update %s'", err, name)
		}
		c.log("compact index rebuilt from the YAML index", "repository", name, "file", yamlPath)
	}
	if err := writeFileAtomic(compactPath, encodeCompact(idx, newSt), 0o644); err != nil {
		c.log("cannot write the compact index", "repository", name, "file", compactPath, "error", err)
	}
	if idx == cidx {
		return c.finish(idx, name, source), nil
	}
	// Return the compact view, as the fast path does, so that callers see
	// the same fields whichever way the index was loaded.
	out, _, err := decodeCompact(encodeCompact(idx, newSt))
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", name, err)
	}
	return c.finish(out, name, source), nil
}

func (c *Cache) finish(idx *Index, name, source string) *Index {
	idx.Repo = name
	idx.Source = source
	for _, s := range idx.Skipped {
		s.Source = source
	}
	return idx
}

// Remove deletes the cached files of the repository name (Helm's and
// barge's); missing files are not an error.
func (c *Cache) Remove(name string) error {
	for _, p := range []string{c.Paths.IndexFile(name), c.Paths.ChartsFile(name), c.Paths.CompactFile(name)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("repository %q: removing its cache: %w", name, err)
		}
	}
	return nil
}

func (c *Cache) client() *getter.Client {
	if c.Client == nil {
		return &getter.Client{}
	}
	return c.Client
}

func (c *Cache) log(msg string, args ...any) {
	if c.Logger != nil {
		c.Logger.Debug(msg, args...)
	}
}
