package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/bargehq/barge/pkg/chart/render"
)

// CheckOptions say which checks a release's rendered chart goes through
// before anything is applied. The zero value makes them all.
type CheckOptions struct {
	// SkipSchemaValidation leaves the values unchecked against the charts'
	// values.schema.json and the objects unchecked against the Kubernetes
	// API schema (Helm's --skip-schema-validation).
	SkipSchemaValidation bool
	// DisableOpenAPIValidation leaves the objects unchecked against the
	// Kubernetes API schema; the values are still checked (Helm's
	// --disable-openapi-validation).
	DisableOpenAPIValidation bool
}

// InstallOptions tune Install. The zero value installs without waiting.
type InstallOptions struct {
	WaitOptions
	CheckOptions
	// DryRun only pretends: DryRunClient computes the release without a
	// cluster, DryRunServer has the server validate every object too.
	// Nothing is stored.
	DryRun DryRun
	// NoHooks skips the chart's hooks (--no-hooks).
	NoHooks bool
	// SkipCRDs does not create the CustomResourceDefinitions of crds/.
	SkipCRDs bool
	// CreateNamespace creates the release namespace if it is missing.
	CreateNamespace bool
	// TakeOwnership adopts existing objects that belong to another release
	// or to none, instead of refusing them.
	TakeOwnership bool
	// TakeOver recovers at once a pending revision that no barge lock
	// covers, instead of taking it for another client's live operation
	// while it is younger than ForeignPendingAge.
	TakeOver bool
	// Replace reuses the name of a release whose last revision is
	// uninstalled (with history kept) or failed.
	Replace bool
	// Atomic uninstalls the release if the install fails; it implies Wait.
	Atomic bool
	// ForceConflicts takes over fields other field managers own.
	ForceConflicts bool
	// ForceReplace deletes and recreates the objects whose change the
	// server refuses because it touches immutable fields (--force-replace).
	ForceReplace bool
	// PostRenderOptions change the rendered manifest before it is planned.
	PostRenderOptions
	// Description replaces "Install complete" in the record.
	Description string
	// Labels are the release's own labels, stored with its records.
	Labels map[string]string
	// SubchartNotes renders the subcharts' NOTES.txt too.
	SubchartNotes bool
	// HookLogs receives the logs of hook Pods whose
	// helm.sh/hook-output-log-policy asks for them; nil drops them.
	HookLogs io.Writer
}

// releaseNameRE is Helm's rule for release names.
var releaseNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// maxReleaseName is Helm's limit on release name length.
const maxReleaseName = 53

// ValidateName checks a release name as Helm does.
func ValidateName(name string) error {
	if name == "" {
		return errors.New("release name is empty: give a name, or --generate-name")
	}
	if len(name) > maxReleaseName || !releaseNameRE.MatchString(name) {
		return fmt.Errorf("release name %q: invalid release name, must match regex %s and the length must not be longer than %d",
			name, releaseNameRE.String(), maxReleaseName)
	}
	return nil
}

// systemLabels are the storage labels a user may not set.
var systemLabels = []string{"name", "owner", "status", "version", "createdAt", "modifiedAt"}

func checkLabels(lbs map[string]string) error {
	for _, k := range systemLabels {
		if _, ok := lbs[k]; ok {
			return fmt.Errorf("label %q: user supplied labels contains system reserved label name; system labels: %v", k, systemLabels)
		}
	}
	return nil
}

// renderRelease renders ch for a revision of a release.
func (e *Engine) renderRelease(ctx context.Context, name string, revision int, upgrade bool, ch *helmchart.Chart, vals map[string]any, subNotes, remote bool, checks CheckOptions) (*render.Result, error) {
	r, err := e.renderer(ch)
	if err != nil {
		return nil, err
	}
	caps, err := e.caps(ctx)
	if err != nil {
		return nil, fmt.Errorf("release %q: %w", name, err)
	}
	ro := render.Options{
		ReleaseName:   name,
		Namespace:     e.namespace,
		Revision:      revision,
		IsUpgrade:     upgrade,
		Values:        vals,
		Capabilities:  caps,
		SubchartNotes: subNotes,
		// The objects are checked here, from what the render decoded.
		KeepObjects:          e.schema != nil && !checks.SkipSchemaValidation && !checks.DisableOpenAPIValidation,
		SkipSchemaValidation: checks.SkipSchemaValidation,
	}
	if remote {
		ro.Lookup = e.lookup
	}
	res, err := r.Render(ctx, ro)
	if err != nil {
		return nil, fmt.Errorf("release %q: render chart %s: %w", name, ch.Name(), err)
	}
	if ro.KeepObjects {
		if err := CheckObjects(e.schema, name, e.namespace, res, caps); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// PlanInstall computes what Install would do: the first revision (or the
// next one, replacing an uninstalled or failed release with
// opts.Replace), its objects, CRDs and hooks. It reads the store and talks
// to no cluster.
func (e *Engine) PlanInstall(ctx context.Context, name string, ch *helmchart.Chart, vals map[string]any, opts InstallOptions) (*Plan, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if ch == nil {
		return nil, fmt.Errorf("release %q: no chart given", name)
	}
	if err := checkLabels(opts.Labels); err != nil {
		return nil, err
	}
	p := &Plan{Operation: OpInstall}
	revision := 1
	if opts.DryRun != DryRunClient {
		last, err := e.store.Last(ctx, name)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return nil, err
		case opts.Replace && (last.Info.Status == StatusUninstalled || last.Info.Status == StatusFailed):
			p.Replaces = last
			revision = last.Version + 1
		default:
			return nil, fmt.Errorf("release %q in namespace %q: cannot re-use a name that is still in use (revision %d is %s); upgrade it, or uninstall it first",
				name, e.namespace, last.Version, last.Info.Status)
		}
	}
	res, err := e.renderRelease(ctx, name, revision, false, ch, vals, opts.SubchartNotes, opts.DryRun != DryRunClient, opts.CheckOptions)
	if err != nil {
		return nil, err
	}
	if err := opts.finishRender(ctx, name, res, opts.DryRun); err != nil {
		return nil, err
	}
	now := e.now()
	p.Release = &Release{
		Name:      name,
		Namespace: e.namespace,
		Chart:     res.Chart,
		Config:    vals,
		Manifest:  res.Manifest,
		Hooks:     hooksFromRender(res.Hooks),
		Version:   revision,
		Labels:    maps.Clone(opts.Labels),
		Info: &Info{
			FirstDeployed: now,
			LastDeployed:  now,
			Status:        StatusPendingInstall,
			Description:   "Initial install underway",
			Notes:         res.Notes,
		},
		ApplyMethod: ApplyMethodServerSide,
	}
	p.Warnings = res.Warnings
	if p.Apply, err = desiredObjects(p.Release); err != nil {
		return nil, err
	}
	if !opts.SkipCRDs {
		if p.CRDs, err = crdObjects(res.CRDs); err != nil {
			return nil, err
		}
	}
	if opts.CreateNamespace {
		p.Namespace = namespaceObject(e.namespace)
	}
	if !opts.NoHooks {
		p.Hooks = hooksByEvent(p.Release.Hooks, HookPreInstall, HookPostInstall)
	}
	return p, nil
}

// Install installs ch as release name with the user values vals (the
// values flags merged; the chart's defaults are applied when rendering).
//
// It refuses a name in use, records the release pending-install, creates
// the missing CRDs of crds/, runs the pre-install hooks, applies the
// objects with server-side apply (refusing objects that exist and belong to
// another release or to none, unless opts.TakeOwnership), waits if asked,
// runs the post-install hooks and records the release deployed. On failure
// the release is recorded failed (or, with opts.Atomic, uninstalled) and
// the returned release says why. It holds the release's lock throughout.
func (e *Engine) Install(ctx context.Context, name string, ch *helmchart.Chart, vals map[string]any, opts InstallOptions) (*Release, error) {
	if opts.DryRun == DryRunClient {
		p, err := e.PlanInstall(ctx, name, ch, vals, opts)
		if err != nil {
			return nil, err
		}
		p.Release.Info.Description = "Dry run complete"
		return p.Release, nil
	}
	if err := e.needCluster("install"); err != nil {
		return nil, err
	}
	if opts.DryRun == DryRunServer {
		return e.install(ctx, name, ch, vals, opts)
	}
	if opts.CreateNamespace {
		// The namespace holds the lock and the records: make it first.
		if err := e.CreateNamespace(ctx); err != nil {
			return nil, fmt.Errorf("release %q: %w", name, err)
		}
	}
	lctx := ctx
	op, ctx, unlock, err := e.lockForCreate(ctx, name, opts.TakeOver)
	if err != nil {
		return nil, outOfTime(lctx, "taking the release's lock", err)
	}
	defer unlock()
	rls, err := op.install(ctx, name, ch, vals, opts)
	return rls, op.stopped(ctx, name, outOfTime(ctx, "preparing the install", err))
}

// CreateNamespace makes the engine's namespace, labelled as Helm labels
// the namespaces it creates, as Install does with
// InstallOptions.CreateNamespace. A namespace that exists is left as it is
// (server-side apply adds the label if it lacks it).
func (e *Engine) CreateNamespace(ctx context.Context) error {
	if err := e.needCluster("create namespace"); err != nil {
		return err
	}
	if _, err := e.cluster.Apply(ctx, []*unstructured.Unstructured{namespaceObject(e.namespace)}, e.applyOptions(false, false)); err != nil {
		return fmt.Errorf("create namespace %s: %w", e.namespace, err)
	}
	return nil
}

// install is Install with the lock held.
func (e *Engine) install(ctx context.Context, name string, ch *helmchart.Chart, vals map[string]any, opts InstallOptions) (*Release, error) {
	p, err := e.PlanInstall(ctx, name, ch, vals, opts)
	if err != nil {
		return nil, err
	}
	rls := p.Release
	if err := e.checkRecord(rls); err != nil {
		return rls, err
	}
	if opts.DryRun == DryRunNone && len(p.CRDs) == 0 && p.Replaces == nil {
		return e.installRecording(ctx, p, opts)
	}
	existed, err := e.preflight(ctx, p, nil, opts.TakeOwnership)
	if err != nil {
		return rls, fmt.Errorf("release %q: unable to continue with install: %w", name, err)
	}
	if opts.DryRun == DryRunServer {
		if err := e.serverDryRun(ctx, p, opts.ForceConflicts); err != nil {
			return rls, err
		}
		rls.Info.Description = "Dry run complete"
		return rls, nil
	}
	if err := e.installCRDs(ctx, p.CRDs, opts.timeout()); err != nil {
		return rls, err
	}
	if r := p.Replaces; r != nil && r.Info.Status != StatusFailed {
		r.Info.Status = StatusSuperseded
		r.Info.Description = "superseded by new release"
		if err := e.store.Update(ctx, r); err != nil {
			return rls, err
		}
	}
	if err := e.store.Create(ctx, rls); err != nil {
		return rls, atStage(fmt.Sprintf("recording revision %d %s", rls.Version, rls.Info.Status), 0, 0, err)
	}
	return e.installApply(ctx, p, existed, opts)
}

// installRecording is install for the common case, with no CRDs to create
// and no release to replace: it records the release pending while the
// ownership of the objects is checked, instead of after, and takes the
// record back if an object turns out to be someone else's.
func (e *Engine) installRecording(ctx context.Context, p *Plan, opts InstallOptions) (*Release, error) {
	rls := p.Release
	created := make(chan error, 1)
	go func() { created <- e.store.Create(ctx, rls) }()
	existed, err := e.preflight(ctx, p, nil, opts.TakeOwnership)
	cerr := <-created
	if err != nil {
		err = fmt.Errorf("release %q: unable to continue with install: %w", rls.Name, err)
		if cerr == nil {
			fctx, cancel := finalContext(ctx)
			defer cancel()
			if _, derr := e.store.Delete(fctx, rls.Name, rls.Version); derr != nil {
				return e.failInstall(ctx, fctx, rls, err, InstallOptions{})
			}
		}
		return rls, err
	}
	if cerr != nil {
		return rls, cerr
	}
	return e.installApply(ctx, p, existed, opts)
}

// installApply runs the hooks, applies and waits for an install whose
// pending revision is recorded, and records the outcome.
func (e *Engine) installApply(ctx context.Context, p *Plan, existed map[string]bool, opts InstallOptions) (*Release, error) {
	rls, name := p.Release, p.Release.Name
	desc := "Install complete"
	if opts.Description != "" {
		desc = opts.Description
	}
	e.precode(rls, StatusDeployed, desc)
	wait := opts.WaitOptions
	wait.Wait = wait.Wait || opts.Atomic
	_, err := e.execute(ctx, p, execOptions{
		WaitOptions: wait, pre: HookPreInstall, post: HookPostInstall,
		force: opts.ForceConflicts, replace: opts.ForceReplace, existed: existed, hookLogs: opts.HookLogs,
	})
	fctx, cancel := finalContext(ctx)
	defer cancel()
	if err != nil {
		return e.failInstall(ctx, fctx, rls, err, opts)
	}
	rls.Info.Status, rls.Info.Description = StatusDeployed, desc
	if err := e.store.Update(fctx, rls); err != nil {
		return rls, fmt.Errorf("release %q: installed, but recording it deployed failed: %w", name, err)
	}
	return rls, nil
}

// failInstall records a failed install, or uninstalls it with Atomic.
func (e *Engine) failInstall(ctx, fctx context.Context, rls *Release, err error, opts InstallOptions) (*Release, error) {
	err = interrupted(ctx, outOfTime(ctx, "", err))
	rls.Info.Status = StatusFailed
	rls.Info.Description = fmt.Sprintf("Release %q failed: %s", rls.Name, err)
	if opts.Atomic && ctx.Err() == nil {
		e.logger.WarnContext(ctx, "install failed and atomic is set: uninstalling", "release", rls.Name, "error", err)
		if _, uerr := e.uninstall(ctx, rls.Name, UninstallOptions{NoHooks: opts.NoHooks, WaitOptions: WaitOptions{Timeout: opts.Timeout}}); uerr != nil {
			_ = e.store.Update(fctx, rls)
			return rls, fmt.Errorf("release %q: install failed (%w), and uninstalling it (atomic) failed too: %v", rls.Name, err, uerr)
		}
		return rls, fmt.Errorf("release %q failed, and has been uninstalled due to atomic being set: %w", rls.Name, err)
	}
	uerr := e.store.Update(fctx, rls)
	if noteRecord(err, rls, uerr) {
		return rls, fmt.Errorf("release %q: %w", rls.Name, err)
	}
	if uerr != nil {
		return rls, fmt.Errorf("%w (and recording the release failed also failed: %v)", err, uerr)
	}
	if opts.Atomic {
		return rls, fmt.Errorf("release %q: %w (atomic uninstall skipped: the operation was interrupted)", rls.Name, err)
	}
	return rls, fmt.Errorf("release %q: %w", rls.Name, err)
}

// interrupted rewords err when ctx was cancelled.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("interrupted: %w", err)
	}
	return err
}
