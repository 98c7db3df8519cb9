package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/bargehq/barge/pkg/release"
)

// Creator stores a new revision.
type Creator interface {
	// Create stores rls, a new revision. It fails with release.ErrExists if
	// the revision is already stored.
	Create(ctx context.Context, rls *release.Release) error
}

// Updater replaces a stored revision.
type Updater interface {
	// Update replaces the stored revision rls.Version of rls.Name with rls.
	Update(ctx context.Context, rls *release.Release) error
}

// Deleter removes a stored revision.
type Deleter interface {
	// Delete removes a revision and returns what it held. It fails with
	// release.ErrNotFound if there is no such revision.
	Delete(ctx context.Context, name string, revision int) (*release.Release, error)
}

// Querier reads stored revisions.
type Querier interface {
	// Get returns one revision in full, or an error wrapping release.ErrNotFound.
	Get(ctx context.Context, name string, revision int) (*release.Release, error)
	// Last returns the highest revision of a release, or an error wrapping
	// release.ErrNotFound.
	Last(ctx context.Context, name string) (*release.Release, error)
	// Deployed returns the highest revision whose status is deployed, or an
	// error wrapping release.ErrNoDeployed.
	Deployed(ctx context.Context, name string) (*release.Release, error)
	// History returns a summary of every stored revision of a release, oldest
	// first, or an error wrapping release.ErrNotFound when there is none.
	History(ctx context.Context, name string) ([]Summary, error)
	// List returns summaries of releases, one per release (its highest
	// revision) unless opts.AllRevisions, sorted by name then namespace.
	List(ctx context.Context, opts ListOptions) ([]Summary, error)
}

// Pruner trims a release's history.
type Pruner interface {
	// Prune deletes the oldest revisions of a release until at most keep
	// remain, never deleting the latest deployed revision, and returns the
	// revisions deleted. keep < 0 does nothing. Helm calls it with
	// keep = history-max - 1 before storing a new revision.
	Prune(ctx context.Context, name string, keep int) ([]int, error)
}

// Locker guards a release against concurrent operations.
type Locker interface {
	// Lock takes the release's lock, or fails at once with a *LockedError
	// (wrapping release.ErrLocked) when another live holder has it. The
	// lock's Unlock releases it and is safe to call more than once.
	Lock(ctx context.Context, name string) (release.Lock, error)
}

// Store is everything a release store does.
type Store interface {
	Creator
	Updater
	Deleter
	Querier
	Pruner
	Locker
}

var (
	_ Store = (*Secrets)(nil)
	_ Store = (*Memory)(nil)
)

// Summary is what a release table shows of one revision, read without
// decoding the chart, values or manifest.
type Summary struct {
	// Name is the release name.
	Name string
	// Namespace is the release namespace.
	Namespace string
	// Revision is the revision number.
	Revision int
	// Status is the revision's status.
	Status release.Status
	// FirstDeployed, LastDeployed and Deleted are the revision's times (zero when unset).
	FirstDeployed, LastDeployed, Deleted time.Time
	// Description is the revision's one-line log entry.
	Description string
	// Chart, ChartVersion and AppVersion come from the chart's metadata.
	Chart, ChartVersion, AppVersion string
	// Labels are the release's custom labels (the storage labels minus the
	// system ones: name, owner, status, version, createdAt, modifiedAt).
	Labels map[string]string
}

// ChartRef returns the chart as `helm list` prints it: "name-version".
func (s Summary) ChartRef() string {
	return s.Chart + "-" + s.ChartVersion
}

// ListOptions selects the releases List returns. The zero value lists the
// latest revision of every release.
type ListOptions struct {
	// Statuses keeps releases whose latest revision has one of these
	// statuses; empty keeps all.
	Statuses []release.Status
	// Filter keeps releases whose name it matches; nil keeps all.
	Filter *regexp.Regexp
	// Selector keeps releases whose storage labels (system and custom, as in
	// Helm's `list --selector`) it matches; nil keeps all.
	Selector labels.Selector
	// AllRevisions returns every matching revision instead of the latest of
	// each release. Helm's list does this when only superseded releases are
	// asked for.
	AllRevisions bool
}

// HelmStorageType prefixes the names of storage objects.
const HelmStorageType = "sh.helm.release.v1"

// SecretType is the type of the Secrets that hold records.
const SecretType = "helm.sh/release.v1"

// The labels of a storage object that are not the release's own labels.
const (
	labelName       = "name"
	labelOwner      = "owner"
	labelStatus     = "status"
	labelVersion    = "version"
	labelCreatedAt  = "createdAt"
	labelModifiedAt = "modifiedAt"
	ownerHelm       = "helm"
)

// IsSystemLabel reports whether a storage label is one the store manages
// (name, owner, status, version, createdAt, modifiedAt) rather than one of
// the release's own labels.
func IsSystemLabel(key string) bool {
	switch key {
	case labelName, labelOwner, labelStatus, labelVersion, labelCreatedAt, labelModifiedAt:
		return true
	}
	return false
}

// customLabels returns lbs without the system labels.
func customLabels(lbs map[string]string) map[string]string {
	out := make(map[string]string, len(lbs))
	for k, v := range lbs {
		if !IsSystemLabel(k) {
			out[k] = v
		}
	}
	return out
}

// Key returns the name of the storage object of a release revision:
// sh.helm.release.v1.<name>.v<revision>.
func Key(name string, revision int) string {
	return fmt.Sprintf("%s.%s.v%d", HelmStorageType, name, revision)
}

// validName checks that a release name can be used as a label value, the
// condition for selecting its records.
func validName(name string) error {
	if name == "" {
		return errors.New("release name is empty")
	}
	if len(name) > 63 || !labelValueRE.MatchString(name) {
		return fmt.Errorf("release name %q: not a valid label value (at most 63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)", name)
	}
	return nil
}

var labelValueRE = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// revisionOf reads the revision of a record from its version label, or from
// its name when the label is missing.
func revisionOf(objName string, lbs map[string]string) (int, bool) {
	if v, err := strconv.Atoi(lbs[labelVersion]); err == nil {
		return v, true
	}
	i := strings.LastIndex(objName, ".v")
	if i < 0 {
		return 0, false
	}
	v, err := strconv.Atoi(objName[i+2:])
	return v, err == nil
}

// recordMeta is what labels say of a record.
type recordMeta struct {
	namespace, name string // release namespace and name
	objName         string // storage object name
	revision        int
	status          release.Status
	labels          map[string]string
	summary         string // SummaryAnnotation, if any
	parts           bool   // the record is stored in parts (PartsAnnotation)
}

// pruneVictims picks the revisions to delete so at most keep remain: the
// oldest first, skipping the latest deployed revision (Helm's rule).
func pruneVictims(revs []recordMeta, keep int) []int {
	if keep < 0 || len(revs) <= keep {
		return nil
	}
	sorted := slices.Clone(revs)
	slices.SortFunc(sorted, func(a, b recordMeta) int { return cmp.Compare(a.revision, b.revision) })
	deployed := 0
	for _, r := range sorted {
		if r.status == release.StatusDeployed {
			deployed = r.revision
		}
	}
	var victims []int
	for _, r := range sorted {
		if len(sorted)-len(victims) == keep {
			break
		}
		if r.revision != deployed {
			victims = append(victims, r.revision)
		}
	}
	return victims
}

// selectRecords reduces records to the highest revision of each release
// (namespace and name), unless all is set, and applies the filters of opts
// that labels can answer.
func selectRecords(recs []recordMeta, opts ListOptions) []recordMeta {
	keep := func(r recordMeta) bool {
		if opts.Filter != nil && !opts.Filter.MatchString(r.name) {
			return false
		}
		return true
	}
	var out []recordMeta
	if opts.AllRevisions {
		for _, r := range recs {
			if keep(r) {
				out = append(out, r)
			}
		}
	} else {
		type key struct{ ns, name string }
		latest := map[key]int{}
		for _, r := range recs {
			if !keep(r) {
				continue
			}
			k := key{r.namespace, r.name}
			if i, ok := latest[k]; ok {
				if out[i].revision < r.revision {
					out[i] = r
				}
				continue
			}
			latest[k] = len(out)
			out = append(out, r)
		}
	}
	// Status and selector apply to the latest revision, as in Helm.
	filtered := out[:0]
	for _, r := range out {
		if len(opts.Statuses) > 0 && !slices.Contains(opts.Statuses, r.status) {
			continue
		}
		if opts.Selector != nil && !opts.Selector.Matches(labels.Set(r.labels)) {
			continue
		}
		filtered = append(filtered, r)
	}
	return filtered
}

// sortSummaries orders summaries by name, namespace, then revision.
func sortSummaries(s []Summary) {
	slices.SortFunc(s, func(a, b Summary) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Revision, b.Revision))
	})
}

// summarize returns the summary of a full release.
func summarize(rls *release.Release) Summary {
	s := Summary{Name: rls.Name, Namespace: rls.Namespace, Revision: rls.Version, Labels: rls.Labels}
	if rls.Info != nil {
		s.Status = rls.Info.Status
		s.FirstDeployed, s.LastDeployed, s.Deleted = rls.Info.FirstDeployed, rls.Info.LastDeployed, rls.Info.Deleted
		s.Description = rls.Info.Description
	}
	if rls.Chart != nil && rls.Chart.Metadata != nil {
		s.Chart, s.ChartVersion, s.AppVersion = rls.Chart.Metadata.Name, rls.Chart.Metadata.Version, rls.Chart.Metadata.AppVersion
	}
	return s
}

// notFound wraps release.ErrNotFound with the release and revision.
func notFound(name string, revision int) error {
	if revision > 0 {
		return fmt.Errorf("release %q revision %d: %w", name, revision, release.ErrNotFound)
	}
	return fmt.Errorf("release %q: %w", name, release.ErrNotFound)
}

// noDeployed wraps release.ErrNoDeployed as Helm words it: "<name>" has no deployed releases.
func noDeployed(name string) error {
	return fmt.Errorf("%q %w", name, release.ErrNoDeployed)
}

// Options tune a store. The zero value is ready to use.
type Options struct {
	// Holder identifies this client in locks; empty means DefaultHolder().
	Holder string
	// LeaseDuration is how long a lock outlives its holder's last renewal;
	// zero means DefaultLeaseDuration. Holders renew at a third of it.
	LeaseDuration time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives debug and warning messages; nil discards them.
	Logger *slog.Logger
}

// DefaultLeaseDuration is the lock duration when Options.LeaseDuration is zero.
const DefaultLeaseDuration = 30 * time.Second

func (o Options) withDefaults() Options {
	if o.Holder == "" {
		o.Holder = DefaultHolder()
	}
	if o.LeaseDuration <= 0 {
		o.LeaseDuration = DefaultLeaseDuration
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// DefaultHolder returns the identity this process shows in locks:
// user@host/pid.
func DefaultHolder() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%s@%s/%d", name, host, os.Getpid())
}
