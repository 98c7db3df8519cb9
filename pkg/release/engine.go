package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/kubeschema"
)

// Store keeps release records. *storage.Secrets and *storage.Memory
// satisfy it.
type Store interface {
	// Create stores a new revision; it fails with ErrExists if it is stored.
	Create(ctx context.Context, rls *Release) error
	// Update replaces a stored revision.
	Update(ctx context.Context, rls *Release) error
	// Delete removes a revision, failing with ErrNotFound if there is none.
	Delete(ctx context.Context, name string, revision int) (*Release, error)
	// Get returns one revision or an error wrapping ErrNotFound.
	Get(ctx context.Context, name string, revision int) (*Release, error)
	// Last returns the highest revision or an error wrapping ErrNotFound.
	Last(ctx context.Context, name string) (*Release, error)
	// Deployed returns the highest deployed revision or an error wrapping
	// ErrNoDeployed.
	Deployed(ctx context.Context, name string) (*Release, error)
	// Prune deletes the oldest revisions until at most keep remain, never
	// the latest deployed one.
	Prune(ctx context.Context, name string, keep int) ([]int, error)
	// Lock takes the release's lock or fails at once with an error wrapping
	// ErrLocked that names the holder.
	Lock(ctx context.Context, name string) (Lock, error)
}

// Applier applies objects with server-side apply. *kube.Client satisfies it.
type Applier interface {
	Apply(ctx context.Context, objs []*unstructured.Unstructured, opts kube.ApplyOptions) ([]kube.Result, error)
	ApplyCRDs(ctx context.Context, crds []*unstructured.Unstructured, opts kube.ApplyOptions) ([]kube.Result, error)
}

// Getter reads live objects. *kube.Client satisfies it.
type Getter interface {
	// Get returns the live object obj names, or nil when it does not exist.
	Get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error)
	// Peek is Get from the server's cache: possibly a moment old, cheaper.
	Peek(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error)
}

// Remover deletes objects. *kube.Client satisfies it.
type Remover interface {
	Delete(ctx context.Context, obj *unstructured.Unstructured, opts kube.DeleteOptions) error
	WaitDeleted(ctx context.Context, objs []*unstructured.Unstructured, timeout time.Duration) error
}

// Waiter waits for objects to be ready, established or complete.
// *kube.Client satisfies it.
type Waiter interface {
	Wait(ctx context.Context, objs []*unstructured.Unstructured, opts kube.WaitOptions) error
	WaitEstablished(ctx context.Context, crds []*unstructured.Unstructured, timeout time.Duration) error
	WaitComplete(ctx context.Context, obj *unstructured.Unstructured, timeout time.Duration) error
}

// LogReader reads the logs of a pod's containers. *kube.Client satisfies it.
type LogReader interface {
	Logs(ctx context.Context, pod *unstructured.Unstructured, w io.Writer) error
}

// Cluster is everything the engine asks of a cluster.
type Cluster interface {
	Applier
	Getter
	Remover
	Waiter
	LogReader
}

var _ Cluster = (*kube.Client)(nil)

// Config configures an Engine.
type Config struct {
	// Namespace is the namespace of the releases the engine works on; the
	// store keeps their records there. Required.
	Namespace string
	// Store keeps the records (storage.Secrets, or storage.Memory for a
	// client-side dry run). Required.
	Store Store
	// Cluster applies, reads, deletes and waits. It may be nil: the engine
	// then only computes plans and client-side dry runs.
	Cluster Cluster
	// Logger receives progress and warnings; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// FieldManager is the server-side apply field manager; empty means
	// DefaultFieldManager.
	FieldManager string
	// Capabilities are what templates see as .Capabilities; nil means
	// DiscoverCapabilities' answer, or render's defaults.
	Capabilities *render.Capabilities
	// DiscoverCapabilities, used when Capabilities is nil, returns the
	// capabilities when a render first needs them, so that a caller can
	// ask the cluster for them while an operation takes its lock. It is
	// called once, and again only after a call cut short by its context.
	DiscoverCapabilities func(ctx context.Context) (*render.Capabilities, error)
	// Lookup serves the lookup template function; nil returns empty results.
	Lookup render.Lookuper
	// Notices receives what the engine found and did on its own that the
	// user should know, such as a revision left pending by an operation
	// that died and marked failed; nil drops them. It is called from
	// several goroutines at once when the engine is.
	Notices func(msg string)
	// Renderer returns the renderer of a chart, so that callers working on
	// many releases of one chart (fleets) parse its templates once; nil
	// makes a new renderer for each operation. It is called from several
	// goroutines at once when the engine is.
	Renderer func(ch *helmchart.Chart) (*render.Renderer, error)
	// Schema, when set, is the Kubernetes API schema every rendered object
	// is checked against before anything is applied, with the other checks
	// whose findings the API server would refuse (removed API versions,
	// invalid names and labels, objects rendered twice): a chart that
	// fails them is refused with each object's file and line, and no
	// revision is recorded. Nil skips the check.
	Schema *kubeschema.Schema
}

// DefaultFieldManager is the field manager objects are applied as.
const DefaultFieldManager = "barge"

// DefaultTimeout bounds waits and each hook when an operation has no timeout.
const DefaultTimeout = 5 * time.Minute

// DefaultHistoryMax is how many revisions upgrade and rollback keep when
// their HistoryMax is zero.
const DefaultHistoryMax = 10

// Engine installs, upgrades, rolls back, tests and uninstalls releases in
// one namespace.
//
// An Engine may be used by several goroutines at once; operations on the
// same release exclude each other through the store's lock.
type Engine struct {
	namespace    string
	store        Store
	cluster      Cluster
	logger       *slog.Logger
	now          func() time.Time
	fieldManager string
	caps         func(ctx context.Context) (*render.Capabilities, error)
	lookup       render.Lookuper
	renderer     func(*helmchart.Chart) (*render.Renderer, error)
	notices      func(string)
	schema       *kubeschema.Schema
}

// New returns an Engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Namespace == "" {
		return nil, errors.New("release engine: no namespace given")
	}
	if cfg.Store == nil {
		return nil, errors.New("release engine: no store given")
	}
	e := &Engine{
		namespace:    cfg.Namespace,
		store:        cfg.Store,
		cluster:      cfg.Cluster,
		logger:       cfg.Logger,
		now:          cfg.Now,
		fieldManager: cfg.FieldManager,
		caps:         capabilitiesOnce(cfg.Capabilities, cfg.DiscoverCapabilities),
		lookup:       cfg.Lookup,
		renderer:     cfg.Renderer,
		notices:      cfg.Notices,
		schema:       cfg.Schema,
	}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.renderer == nil {
		e.renderer = render.New
	}
	if e.fieldManager == "" {
		e.fieldManager = DefaultFieldManager
	}
	return e, nil
}

// capabilitiesOnce returns caps when given, else discover's answer, asked
// for once, else nil (render's defaults).
func capabilitiesOnce(caps *render.Capabilities, discover func(context.Context) (*render.Capabilities, error)) func(context.Context) (*render.Capabilities, error) {
	if caps != nil || discover == nil {
		return func(context.Context) (*render.Capabilities, error) { return caps, nil }
	}
	var (
		mu   sync.Mutex
		done bool
		err  error
	)
	return func(ctx context.Context) (*render.Capabilities, error) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			caps, err = discover(ctx)
			// A discovery cut short by the caller's context is asked again
			// by the next caller.
			done = err == nil || ctx.Err() == nil
		}
		return caps, err
	}
}

// Namespace returns the namespace of the engine's releases.
func (e *Engine) Namespace() string { return e.namespace }

// DryRun says whether and how an operation only pretends.
type DryRun string

// The dry-run modes, as Helm's --dry-run flag spells them.
const (
	// DryRunNone does the operation.
	DryRunNone DryRun = ""
	// DryRunClient computes the plan without talking to the cluster.
	DryRunClient DryRun = "client"
	// DryRunServer also has the server validate every object with a
	// server-side dry-run apply. Nothing is stored or changed.
	DryRunServer DryRun = "server"
)

// ParseDryRun parses a --dry-run value: "", "none" or "false" (no dry
// run), "client" or "true", and "server".
func ParseDryRun(s string) (DryRun, error) {
	switch s {
	case "", "none", "false":
		return DryRunNone, nil
	case "client", "true":
		return DryRunClient, nil
	case "server":
		return DryRunServer, nil
	}
	return "", fmt.Errorf("--dry-run %q: must be none, client or server", s)
}

// WaitOptions are the waiting flags shared by the operations.
type WaitOptions struct {
	// Wait waits for the applied objects to be ready before marking the
	// release deployed.
	Wait bool
	// WaitForJobs also waits for Jobs to complete.
	WaitForJobs bool
	// Timeout bounds the wait and each hook; zero means DefaultTimeout.
	// Waits also end at ctx's deadline: a command bounds its whole
	// operation with WithTimeout(ctx, Timeout, atomic).
	Timeout time.Duration
	// Progress, when set, receives the readiness of each object as it
	// changes while waiting.
	Progress func(kube.Status)
}

func (w WaitOptions) timeout() time.Duration {
	if w.Timeout <= 0 {
		return DefaultTimeout
	}
	return w.Timeout
}

// needCluster fails when the engine has no cluster.
func (e *Engine) needCluster(op string) error {
	if e.cluster == nil {
		return fmt.Errorf("%s: no cluster configured; only a client-side dry run works without one", op)
	}
	return nil
}

// lock takes the release's lock and recovers a revision left pending or
// uninstalling by an operation that died. It returns the engine to run the
// operation with, whose store refuses to write once the lock is lost and
// answers the operation's first read of the release's last revision with
// the one recovery read (saving a round trip); the context to run it in,
// cancelled once the lock is lost; and the unlock function. takeOver
// recovers at once a young pending revision that no barge lock covers.
func (e *Engine) lock(ctx context.Context, name string, takeOver bool) (*Engine, context.Context, func(), error) {
	if err := ValidateName(name); err != nil {
		return nil, nil, nil, err // before the Lease's name, made of it, is refused
	}
	lk, err := e.store.Lock(ctx, name)
	if err != nil {
		return nil, nil, nil, err
	}
	last, err := e.store.Last(ctx, name)
	return e.locked(ctx, name, lk, takeOver, last, err)
}

// lockForCreate is lock for operations whose first write creates the next
// revision (install): it reads the last revision while taking the lock
// instead of after, saving a round trip. That read may miss a revision
// another operation stored in between; the operation then fails cleanly,
// when it creates a revision that already exists. A pending revision it
// sees is read again under the lock before being recovered.
func (e *Engine) lockForCreate(ctx context.Context, name string, takeOver bool) (*Engine, context.Context, func(), error) {
	type read struct {
		rls *Release
		err error
	}
	if err := ValidateName(name); err != nil {
		return nil, nil, nil, err
	}
	early := make(chan read, 1)
	go func() {
		rls, err := e.store.Last(ctx, name)
		early <- read{rls, err}
	}()
	lk, err := e.store.Lock(ctx, name)
	r := <-early
	if err != nil {
		return nil, nil, nil, err
	}
	if r.err == nil && r.rls.Info != nil && busy(r.rls.Info.Status) {
		r.rls, r.err = e.store.Last(ctx, name)
	}
	return e.locked(ctx, name, lk, takeOver, r.rls, r.err)
}

// busy reports whether a status is an operation in progress: pending or
// uninstalling.
func busy(s Status) bool { return s.IsPending() || s == StatusUninstalling }

// locked completes lock once the lock is held and the last revision read.
func (e *Engine) locked(ctx context.Context, name string, lk Lock, takeOver bool, last *Release, err error) (*Engine, context.Context, func(), error) {
	if err != nil && !errors.Is(err, ErrNotFound) {
		lk.Unlock()
		return nil, nil, nil, err
	}
	op := *e
	op.store = &fenced{Store: e.store, lock: lk}
	if err == nil && last.Info != nil && busy(last.Info.Status) {
		if err := e.foreign(last, lk, takeOver); err != nil {
			lk.Unlock()
			return nil, nil, nil, err
		}
		if err := op.recoverPending(ctx, last); err != nil {
			lk.Unlock()
			return nil, nil, nil, err
		}
	} else {
		op.store = &fenced{Store: &lastOnce{Store: e.store, name: name, rls: last, err: err, fresh: true}, lock: lk}
	}
	gctx, stop := guard(ctx, lk)
	return &op, gctx, func() {
		stop()
		lk.Unlock()
	}, nil
}

// foreign returns a *BusyError when last, a pending or uninstalling
// revision, is another client's live operation: no barge lock covered it
// (the lock was free, or lapsed before the revision was written) and it is
// younger than ForeignPendingAge, unless takeOver.
func (e *Engine) foreign(last *Release, lk Lock, takeOver bool) error {
	started := last.Info.LastDeployed
	if last.Info.Status == StatusUninstalling && !last.Info.Deleted.IsZero() {
		started = last.Info.Deleted
	}
	holder, expired := lk.TookOver()
	if holder != "" && !started.After(expired) {
		return nil // written under the lock this one took over: its holder died
	}
	age := e.now().Sub(started)
	if takeOver || age >= ForeignPendingAge {
		return nil
	}
	return &BusyError{Release: last.Name, Namespace: e.namespace, Revision: last.Version, Status: last.Info.Status, Age: age}
}

// recoverPending marks failed the last revision of a release, which is
// pending or uninstalling. It is called with the lock held, once foreign
// has found that whoever left it so is gone: it died (crash, kill -9, lost
// connection) before finishing. The user is told what was found and done.
func (e *Engine) recoverPending(ctx context.Context, last *Release) error {
	was := last.Info.Status
	last.Info.Status = StatusFailed
	last.Info.Description = fmt.Sprintf("interrupted: the %s operation (%q) ended without finishing; marked failed by the next operation",
		pendingVerb(was), last.Info.Description)
	if was == StatusUninstalling {
		last.Info.Description = "interrupted: the uninstall ended without finishing (some objects may be deleted: upgrade to restore them, or uninstall again); marked failed by the next operation"
	}
	e.logger.WarnContext(ctx, "recovering a release left pending", "release", last.Name, "revision", last.Version, "status", string(was))
	if err := e.store.Update(ctx, last); err != nil {
		return fmt.Errorf("release %q revision %d: mark interrupted %s failed: %w", last.Name, last.Version, was, err)
	}
	e.notify(fmt.Sprintf("release %q: revision %d was left %s by an operation that ended without finishing; marked it failed", last.Name, last.Version, was))
	return nil
}

// notify tells the user what the engine found and did on its own.
func (e *Engine) notify(msg string) {
	if e.notices != nil {
		e.notices(msg)
	}
}

// lastOnce is a Store that answers the first Last of one release from a
// read already made, unless a write came first; every other call goes to
// the Store. It may be used by several goroutines at once.
type lastOnce struct {
	Store
	name string

	mu    sync.Mutex
	rls   *Release
	err   error
	fresh bool
}

// Last returns the remembered revision once, then asks the Store.
func (s *lastOnce) Last(ctx context.Context, name string) (*Release, error) {
	s.mu.Lock()
	if s.fresh && name == s.name {
		s.fresh = false
		rls, err := s.rls, s.err
		s.mu.Unlock()
		return rls, err
	}
	s.mu.Unlock()
	return s.Store.Last(ctx, name)
}

func (s *lastOnce) forget() {
	s.mu.Lock()
	s.fresh = false
	s.mu.Unlock()
}

// Create stores a new revision.
func (s *lastOnce) Create(ctx context.Context, rls *Release) error {
	s.forget()
	return s.Store.Create(ctx, rls)
}

// Update replaces a stored revision.
func (s *lastOnce) Update(ctx context.Context, rls *Release) error {
	s.forget()
	return s.Store.Update(ctx, rls)
}

// Delete removes a stored revision.
func (s *lastOnce) Delete(ctx context.Context, name string, revision int) (*Release, error) {
	s.forget()
	return s.Store.Delete(ctx, name, revision)
}

// Prune trims a release's history.
func (s *lastOnce) Prune(ctx context.Context, name string, keep int) ([]int, error) {
	s.forget()
	return s.Store.Prune(ctx, name, keep)
}

// Precode forwards to the Store, when it can encode records ahead.
func (s *lastOnce) Precode(rls *Release) {
	if p, ok := s.Store.(precoder); ok {
		p.Precode(rls)
	}
}

// precoder is a Store that can encode a record ahead of its write
// (storage.Secrets).
type precoder interface {
	Precode(rls *Release)
}

// precode has the store encode the record rls will be once it ends with
// status and description, while the operation waits for the cluster.
func (e *Engine) precode(rls *Release, status Status, description string) {
	p, ok := e.store.(precoder)
	if !ok || rls.Info == nil {
		return
	}
	final, info := *rls, *rls.Info
	info.Status, info.Description = status, description
	final.Info = &info
	p.Precode(&final)
}

func pendingVerb(s Status) string {
	switch s {
	case StatusPendingInstall:
		return "install"
	case StatusPendingUpgrade:
		return "upgrade"
	case StatusPendingRollback:
		return "rollback"
	case StatusUninstalling:
		return "uninstall"
	}
	return string(s)
}

// supersedeDeployed marks superseded every deployed revision of name other
// than keep.
func (e *Engine) supersedeDeployed(ctx context.Context, name string, keep int) error {
	for range 1000 {
		d, err := e.store.Deployed(ctx, name)
		if errors.Is(err, ErrNoDeployed) || errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if d.Version == keep {
			// Look below it: Deployed returns the highest.
			return e.supersedeBelow(ctx, name, keep)
		}
		if d.Version > keep {
			// Only another client can have deployed a newer revision
			// while this operation held the lock: it lost it.
			return fmt.Errorf("release %q: revision %d, newer than this operation's %d, is deployed: %w", name, d.Version, keep, ErrLockLost)
		}
		d.Info.Status = StatusSuperseded
		if err := e.store.Update(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// supersedeBelow marks superseded the deployed revisions below rev.
func (e *Engine) supersedeBelow(ctx context.Context, name string, rev int) error {
	for v := rev - 1; v >= 1; v-- {
		r, err := e.store.Get(ctx, name, v)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if r.Info != nil && r.Info.Status == StatusDeployed {
			r.Info.Status = StatusSuperseded
			if err := e.store.Update(ctx, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// prune trims history before a new revision is stored, as Helm does with
// --history-max.
func (e *Engine) prune(ctx context.Context, name string, historyMax int) {
	if historyMax == 0 {
		historyMax = DefaultHistoryMax
	}
	if historyMax < 0 {
		return
	}
	if removed, err := e.store.Prune(ctx, name, historyMax-1); err != nil {
		e.logger.WarnContext(ctx, "pruning release history failed", "release", name, "error", err)
	} else if len(removed) > 0 {
		e.logger.DebugContext(ctx, "pruned release history", "release", name, "revisions", removed)
	}
}
