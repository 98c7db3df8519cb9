package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"sigs.k8s.io/yaml"
)

// ErrRepoExists is returned by (*Config).Add when a repository of that name
// is configured with different settings.
var ErrRepoExists = errors.New("repository already exists")

// ErrRepoNotFound is returned when a repository name is not configured in
// repositories.yaml.
var ErrRepoNotFound = errors.New("repository not found")

// Entry is one configured repository, as a line of repositories.yaml. The
// field names and YAML keys are Helm's.
type Entry struct {
	// Name is the name given at "repo add"; it may not contain "/".
	Name string `json:"name"`
	// URL is the repository's base URL; its index is URL/index.yaml.
	URL string `json:"url"`
	// Username and Password are sent with basic authentication to the
	// repository's own host, and to every host if PassCredentialsAll.
	Username string `json:"username"`
	Password string `json:"password"`
	// CertFile and KeyFile are a client certificate and its key (PEM).
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
	// CAFile is a PEM bundle of the CAs trusted for the repository's
	// server certificate, in addition to the system's.
	CAFile string `json:"caFile"`
	// InsecureSkipTLSVerify disables the check of the server's certificate.
	InsecureSkipTLSVerify bool `json:"insecure_skip_tls_verify"`
	// PassCredentialsAll sends Username and Password to every host, such
	// as the one a chart URL or a redirect points at (Helm's
	// --pass-credentials).
	PassCredentialsAll bool `json:"pass_credentials_all"`
}

// Config is the content of repositories.yaml, in Helm's format. A Config is
// not safe for concurrent use; UpdateConfig serialises changes to the file
// between processes, barge and Helm alike.
type Config struct {
	APIVersion   string    `json:"apiVersion"`
	Generated    time.Time `json:"generated"`
	Repositories []*Entry  `json:"repositories"`
}

// LoadConfig reads repositories.yaml at path. A missing file is an empty
// Config, as in Helm.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("repositories file %s: %w", path, err)
	}
	if err := yaml.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("repositories file %s: %w; fix or remove the file (it is written by 'helm repo add' and 'barge repo add')", path, err)
	}
	// A null item ("- ") would make every method check for nil: drop it.
	kept := c.Repositories[:0]
	for _, e := range c.Repositories {
		if e != nil {
			kept = append(kept, e)
		}
	}
	c.Repositories = kept
	return c, nil
}

// Get returns the repository called name, or nil.
func (c *Config) Get(name string) *Entry {
	for _, e := range c.Repositories {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Has reports whether a repository called name is configured.
func (c *Config) Has(name string) bool { return c.Get(name) != nil }

// Add adds the repository e. Adding a repository identical to one already
// configured does nothing; adding one whose name is taken with other settings
// fails with an error wrapping ErrRepoExists (use Set to replace it). The
// name may not be empty nor contain "/", and the URL must parse.
func (c *Config) Add(e *Entry) error {
	if err := e.validate(); err != nil {
		return err
	}
	if old := c.Get(e.Name); old != nil {
		if *old == *e {
			return nil
		}
		return fmt.Errorf("repository name (%s) already exists with other settings: %w; choose a different name, or replace it (--force-update)", e.Name, ErrRepoExists)
	}
	c.Repositories = append(c.Repositories, e)
	return nil
}

// Set adds the repository e, replacing any repository of the same name in
// place (Helm's --force-update).
func (c *Config) Set(e *Entry) error {
	if err := e.validate(); err != nil {
		return err
	}
	for i, old := range c.Repositories {
		if old.Name == e.Name {
			c.Repositories[i] = e
			return nil
		}
	}
	c.Repositories = append(c.Repositories, e)
	return nil
}

// Remove removes the repository called name and reports whether it was
// configured.
func (c *Config) Remove(name string) bool {
	found := false
	kept := c.Repositories[:0]
	for _, e := range c.Repositories {
		if e.Name == name {
			found = true
			continue
		}
		kept = append(kept, e)
	}
	clear(c.Repositories[len(kept):])
	c.Repositories = kept
	return found
}

func (e *Entry) validate() error {
	switch {
	case e.Name == "":
		return errors.New("repository name is empty; give the repository a name")
	case strings.Contains(e.Name, "/"):
		return fmt.Errorf("repository name (%s) contains '/', please specify a different name without '/'", e.Name)
	case e.URL == "":
		return fmt.Errorf("repository %q: URL is empty; give the repository's base URL (where index.yaml is)", e.Name)
	}
	if _, err := url.Parse(e.URL); err != nil {
		return fmt.Errorf("repository %q: invalid URL: %w", e.Name, err)
	}
	return nil
}

// Save writes c to path in Helm's format, atomically (a temporary file in the
// same directory renamed over path) and readable by its owner only (0600),
// creating the directory if needed. If path is a symbolic link, the file it
// points to is replaced. Call it under the lock (see UpdateConfig) when other
// processes may change the file.
func (c *Config) Save(path string) error {
	if c.APIVersion == "" {
		c.APIVersion = "v1"
	}
	if c.Repositories == nil {
		c.Repositories = []*Entry{}
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("repositories file %s: %w", path, err)
	}
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	if err := writeFileAtomic(path, b, 0o600); err != nil {
		return fmt.Errorf("repositories file %s: %w", path, err)
	}
	return nil
}

// ConfigLockPath is the lock file Helm takes around changes to the
// repositories file at path: path without its extension, plus ".lock"
// (repositories.lock next to repositories.yaml).
func ConfigLockPath(path string) string {
	ext := filepath.Ext(path)
	if len(ext) > 0 && len(ext) < len(path) {
		return strings.TrimSuffix(path, ext) + ".lock"
	}
	return path + ".lock"
}

// LockConfig takes the lock Helm's "repo add" takes on the repositories file
// at path (an flock on ConfigLockPath(path)), waiting until ctx is done. It
// returns the function that releases it. The lock excludes other processes,
// barge and Helm alike, and other LockConfig calls in this process.
func LockConfig(ctx context.Context, path string) (unlock func() error, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("repositories file %s: %w", path, err)
	}
	lockPath := ConfigLockPath(path)
	l := flock.New(lockPath)
	ok, err := l.TryLockContext(ctx, 50*time.Millisecond)
	if err != nil || !ok {
		if err == nil {
			err = ctx.Err()
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("repositories file %s: another helm or barge command holds the lock %s: %w; wait for it to finish and retry", path, lockPath, err)
		}
		return nil, fmt.Errorf("repositories file %s: lock %s: %w", path, lockPath, err)
	}
	return l.Unlock, nil
}

// UpdateConfig changes the repositories file at path under its lock: it
// loads the file (missing is empty), calls change, and saves the result if
// change returned nil. Two UpdateConfig calls at once, or one and a
// "helm repo add", both keep their changes.
func UpdateConfig(ctx context.Context, path string, change func(*Config) error) (err error) {
	unlock, err := LockConfig(ctx, path)
	if err != nil {
		return err
	}
	defer func() {
		if uerr := unlock(); uerr != nil && err == nil {
			err = fmt.Errorf("repositories file %s: unlock: %w", path, uerr)
		}
	}()
	c, err := LoadConfig(path)
	if err != nil {
		return err
	}
	if c.APIVersion == "" {
		c.APIVersion = "v1"
	}
	if err := change(c); err != nil {
		return err
	}
	return c.Save(path)
}
