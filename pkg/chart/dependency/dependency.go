package dependency

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/bargehq/barge/pkg/oci"
	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// ErrLockOutOfSync is wrapped by the error of Build when the lock file does
// not match the dependencies Chart.yaml (or requirements.yaml) declares.
var ErrLockOutOfSync = errors.New("lock file out of sync")

// ErrNoRepository is wrapped by the error for dependencies whose repository
// is not configured where it must be: @NAME or alias:NAME naming no
// configured repository, a repository that is neither such a name nor a
// URL, or, for Build, a repository URL no configured repository has. Its
// message is Helm's: "no repository definition".
var ErrNoRepository = errors.New("no repository definition")

// ErrVersionNotFound is wrapped by the error for dependencies no version of
// which satisfies the constraint, or whose locked version the repository
// does not have.
var ErrVersionNotFound = errors.New("no valid version")

// Options tune Update and Build.
type Options struct {
	// Resolver fetches the archives (bounded, checked against the index's
	// digest, cached by digest); its Paths locate repositories.yaml (unless
	// its Config is set) and the repository cache, and its Client
	// downloads indexes. Nil allows only dependencies without repository
	// and file:// ones.
	Resolver *repo.Resolver
	// SkipRefresh uses the cached indexes rather than downloading them anew
	// (--skip-refresh).
	SkipRefresh bool
	// Out receives Helm's progress lines ("Saving 2 charts",
	// "Downloading nginx from repo https://..."); nil discards them.
	Out io.Writer
	// Logger receives warnings and debug messages; nil discards them.
	Logger *slog.Logger
	// Now is the clock that dates the lock; nil is time.Now.
	Now func() time.Time
	// Registry holds the flags for OCI registries (credentials, TLS,
	// PlainHTTP) of oci:// dependencies; its Chart is ignored.
	Registry repo.Ref
	// Verify, when set, is called with each archive downloaded from a
	// repository, before it is read (--verify): an error refuses it, and
	// charts/ is left as it was.
	Verify func(ctx context.Context, loc *repo.Located) error
}

// run is one Update or Build.
type run struct {
	dir   string
	opts  Options
	out   io.Writer
	log   *slog.Logger
	cache *repo.Cache
	cfg   *repo.Config

	indexes    map[string]*repo.Index // by cache name
	refreshErr map[string]error       // by cache name
}

func newRun(dir string, opts Options) *run {
	r := &run{
		dir: dir, opts: opts, out: opts.Out, log: opts.Logger,
		indexes: map[string]*repo.Index{}, refreshErr: map[string]error{},
	}
	if r.out == nil {
		r.out = io.Discard
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if res := opts.Resolver; res != nil {
		r.cache = &repo.Cache{Paths: res.Paths, Client: res.Client, Logger: res.Logger}
	}
	return r
}

func (r *run) now() time.Time {
	if r.opts.Now != nil {
		return r.opts.Now()
	}
	return time.Now()
}

// Update fetches the dependencies of the chart directory dir into its
// charts/ directory, as "helm dependency update" does: it refreshes the
// indexes of the repositories involved (unless opts.SkipRefresh), picks for
// each dependency the newest version satisfying its constraint, fetches
// them all, moves them into charts/ in place of the archives of the same
// dependencies, and writes the lock (Chart.lock, or requirements.lock for
// an apiVersion v1 chart), unless its digest is unchanged.
//
// If anything cannot be resolved or fetched, charts/ and the lock are left
// as they were. A chart that declares no dependencies is left alone.
func Update(ctx context.Context, dir string, opts Options) error {
	cf, err := readChart(dir)
	if err != nil {
		return err
	}
	return newRun(dir, opts).update(ctx, cf)
}

// Build fetches into the chart directory dir's charts/ directory the
// versions its lock names, as "helm dependency build" does. Without a lock
// it is Update. A lock that does not match the declared dependencies is an
// error wrapping ErrLockOutOfSync, in Helm's words; a lock naming a
// repository URL no configured repository has is an error wrapping
// ErrNoRepository, as in Helm. The lock is not changed.
func Build(ctx context.Context, dir string, opts Options) error {
	cf, err := readChart(dir)
	if err != nil {
		return err
	}
	r := newRun(dir, opts)
	if cf.lock == nil {
		return r.update(ctx, cf)
	}
	return r.build(ctx, cf)
}

// UpdateIfMissing runs Update on the chart directory dir if charts/ lacks
// one of the dependencies it declares (see Missing), as install, upgrade
// and template do with --dependency-update, and reports whether it did.
// The caller loads the chart again after an update.
func UpdateIfMissing(ctx context.Context, dir string, opts Options) (updated bool, err error) {
	missing, err := Missing(dir)
	if err != nil || len(missing) == 0 {
		return false, err
	}
	if err := Update(ctx, dir, opts); err != nil {
		return false, err
	}
	return true, nil
}

// Missing returns the names of the dependencies the chart directory dir
// declares that are not in its charts/ directory, as Helm's install checks
// them: a dependency is there when charts/ holds a chart of its name, as an
// archive or a directory, whatever its version.
func Missing(dir string) ([]string, error) {
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", dir, err)
	}
	have := map[string]bool{}
	for _, sub := range ch.Dependencies() {
		have[sub.Name()] = true
	}
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if d != nil && !have[d.Name] {
			missing = append(missing, d.Name)
		}
	}
	return missing, nil
}

func (r *run) update(ctx context.Context, cf *chartFiles) error {
	req := cf.meta.Dependencies
	if len(req) == 0 {
		return nil
	}
	if err := checkLockPath(r.dir, cf); err != nil {
		return err
	}
	srcs, err := r.declaredSources(req)
	if err != nil {
		return err
	}
	r.refresh(ctx, srcs)
	items, err := r.resolve(ctx, cf, req, srcs)
	if err != nil {
		return err
	}
	if err := r.install(ctx, items); err != nil {
		return err
	}
	locked := make([]*chart.Dependency, len(items))
	for i, it := range items {
		locked[i] = it.dep
	}
	digest, err := LockDigest(req, locked)
	if err != nil {
		return fmt.Errorf("chart %s: %w", r.dir, err)
	}
	if cf.lock != nil && cf.lock.Digest == digest {
		return nil
	}
	return writeLock(r.dir, cf, locked, digest, r.now())
}

// resolve picks the version of each dependency: the newest satisfying its
// constraint in its repository's index, or the version of its local chart.
func (r *run) resolve(ctx context.Context, cf *chartFiles, req []*chart.Dependency, srcs []source) ([]item, error) {
	items := make([]item, len(req))
	var missing []string
	for i, d := range req {
		con, err := semver.NewConstraint(d.Version)
		if err != nil {
			return nil, fmt.Errorf("chart %s: dependency %q has an invalid version/constraint format: %v; give a version such as 1.2.3 or a range such as ^1.2 in %s", r.dir, d.Name, err, cf.depsName())
		}
		s := srcs[i]
		it := item{src: s, dep: &chart.Dependency{Name: d.Name, Repository: d.Repository}}
		switch s.origin {
		case fromCharts:
			p := filepath.Join(r.dir, "charts", d.Name)
			if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
				return nil, fmt.Errorf("chart %s: dependency %q declares no repository, so it must be unpacked in charts/, but directory %s not found; give its repository in %s, or unpack the chart there", r.dir, d.Name, p, cf.depsName())
			}
			it.dep.Version = d.Version
		case fromFile:
			ch, err := loader.LoadDir(s.path)
			if err != nil {
				return nil, fmt.Errorf("chart %s: dependency %q (%s): %w", r.dir, d.Name, d.Repository, err)
			}
			v, err := semver.NewVersion(ch.Metadata.Version)
			if err != nil {
				return nil, fmt.Errorf("chart %s: dependency %q (%s): version %q: %w", r.dir, d.Name, d.Repository, ch.Metadata.Version, err)
			}
			if !con.Check(v) {
				missing = append(missing, fmt.Sprintf("%q (repository %q, version %q: the chart there is version %s)", d.Name, d.Repository, d.Version, ch.Metadata.Version))
				continue
			}
			it.dep.Version = ch.Metadata.Version
		case fromOCI:
			v, err := r.ociVersion(ctx, s, d)
			if errors.Is(err, oci.ErrNotFound) {
				missing = append(missing, fmt.Sprintf("%q (repository %q, version %q: %v)", d.Name, d.Repository, d.Version, err))
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("chart %s: dependency %q: %w", r.dir, d.Name, err)
			}
			it.dep.Version = v
		default:
			idx, err := r.index(ctx, s)
			if err != nil {
				return nil, fmt.Errorf("chart %s: dependency %q: %w", r.dir, d.Name, err)
			}
			cv, err := idx.Lookup(d.Name, d.Version, false)
			var nf *repo.NotFoundError
			if errors.As(err, &nf) {
				missing = append(missing, fmt.Sprintf("%q (repository %q, version %q: %s)", d.Name, getter.Redact(d.Repository), d.Version, notFound(nf)))
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("chart %s: dependency %q: %w", r.dir, d.Name, err)
			}
			it.dep.Version, it.cv = cv.Version, cv
		}
		items[i] = it
	}
	if len(missing) > 0 {
		return nil, kindErrorf(ErrVersionNotFound, "chart %s: can't get a valid version for %d subchart(s): %s. Make sure a matching chart version exists in the repo, or change the version constraint in %s",
			r.dir, len(missing), strings.Join(missing, ", "), cf.depsName())
	}
	return items, nil
}

// ociVersion returns the version of the OCI dependency d that its
// constraint picks among the registry's tags.
func (r *run) ociVersion(ctx context.Context, s source, d *chart.Dependency) (string, error) {
	if r.opts.Resolver == nil {
		return "", errors.New("no repository resolver given (dependency.Options.Resolver)")
	}
	ref := s.url + "/" + d.Name
	flags := r.opts.Registry
	flags.Chart = ref
	c, err := r.opts.Resolver.RegistryClient(flags)
	if err != nil {
		return "", err
	}
	v, err := c.ResolveVersion(ctx, ref, d.Version, false)
	if err != nil {
		return "", err
	}
	return v.Version.Original(), nil
}

// notFound says what a repository has instead of what was asked.
func notFound(nf *repo.NotFoundError) string {
	if len(nf.Versions) == 0 {
		s := fmt.Sprintf("no chart %q there", nf.Chart)
		if len(nf.Similar) > 0 {
			s += " (similar: " + strings.Join(nf.Similar, ", ") + ")"
		}
		return s
	}
	return "the newest versions there are " + strings.Join(nf.Versions, ", ")
}

func (r *run) build(ctx context.Context, cf *chartFiles) error {
	req := cf.meta.Dependencies
	// Helm 2 digested requirements.yaml as written, before aliases are
	// replaced by URLs.
	var v2 string
	if cf.legacy() {
		var err error
		if v2, err = helm2Digest(req); err != nil {
			return fmt.Errorf("chart %s: %w", r.dir, err)
		}
	}
	if _, err := r.declaredSources(req); err != nil {
		return err
	}
	digest, err := LockDigest(req, cf.lock.Dependencies)
	if err != nil {
		return fmt.Errorf("chart %s: %w", r.dir, err)
	}
	if digest != cf.lock.Digest {
		if !cf.legacy() || v2 != cf.lock.Digest {
			return kindErrorf(ErrLockOutOfSync, "chart %s: the lock file (%s) is out of sync with the dependencies file (%s). Please update the dependencies: run 'barge dependency update %s'",
				r.dir, cf.lockName(), cf.depsName(), r.dir)
		}
		r.log.Debug("the lock's digest is Helm 2's", "chart", r.dir, "lock", cf.lockName())
	}
	srcs, err := r.lockedSources(cf.lock.Dependencies)
	if err != nil {
		return err
	}
	r.refresh(ctx, srcs)
	items := make([]item, len(srcs))
	for i, d := range cf.lock.Dependencies {
		dep := *d
		it := item{src: srcs[i], dep: &dep}
		if s := srcs[i]; s.origin == fromRepo {
			idx, err := r.index(ctx, s)
			if err != nil {
				return fmt.Errorf("chart %s: dependency %q: %w", r.dir, d.Name, err)
			}
			cv, err := idx.Lookup(d.Name, d.Version, false)
			var nf *repo.NotFoundError
			if errors.As(err, &nf) {
				return kindErrorf(ErrVersionNotFound, "chart %s: dependency %q version %q, locked in %s, is not in repository %s: %s; run 'barge dependency update %s' to lock versions the repository has",
					r.dir, d.Name, d.Version, cf.lockName(), s.label(), notFound(nf), r.dir)
			}
			if err != nil {
				return fmt.Errorf("chart %s: dependency %q: %w", r.dir, d.Name, err)
			}
			it.cv = cv
		}
		items[i] = it
	}
	return r.install(ctx, items)
}

// kindError is an error whose message is its own, of the kind of one of
// this package's Err* values.
type kindError struct {
	msg  string
	kind error
}

func kindErrorf(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: kind}
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() error { return e.kind }
