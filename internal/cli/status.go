package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/release"
)

// statusOptions are the flags of `barge status`.
type statusOptions struct {
	output        outputFlags
	revision      int
	showDesc      bool
	showResources bool
}

func newStatusCmd(cfg *Config) *cobra.Command {
	o := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status RELEASE_NAME",
		Short: "Display the status of the named release",
		Long: `Status shows a release: when it was last deployed, its namespace, status
(one of unknown, deployed, uninstalled, superseded, failed, uninstalling,
pending-install, pending-upgrade or pending-rollback), revision, the last test
suite run, and the chart's notes.

The table output also lists the release's objects and their readiness as the
cluster reports it now (kstatus: Current, InProgress, Failed, Terminating,
NotFound), with the reason for each object that is not ready.`,
		Example: `  barge status joomla1
  barge status joomla1 --revision 2 -o yaml`,
		Args: releaseArgs(cobra.ExactArgs(1), 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cfg, args[0])
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.revision, "revision", 0, "if set, display the status of the named release with revision")
	f.BoolVar(&o.showDesc, "show-desc", false, "if set, display the description message of the named release")
	f.BoolVar(&o.showResources, "show-resources", true, "list the release's objects and their readiness (table output)")
	o.output.Bind(f)
	return cmd
}

func (o *statusOptions) run(ctx context.Context, cfg *Config, name string) error {
	withObjects := o.showResources && o.output.format == outputTable
	cc, err := cfg.connect(ctx, cfg.Namespace(), withObjects)
	if err != nil {
		return err
	}
	rls, err := getRevision(ctx, cc.store, name, o.revision)
	if err != nil {
		return err
	}
	v := &releaseView{rls: rls, showDesc: o.showDesc}
	if withObjects {
		v.objects, v.objectsErr = objectStatuses(ctx, cc.kube, rls)
		v.showObjects = true
	}
	// The chart is not part of status output, as in Helm.
	out := *rls
	out.Chart = nil
	v.rls = &out
	return o.output.format.write(cfg.Out, v)
}

// revisionGetter reads one revision or the latest.
type revisionGetter interface {
	Get(ctx context.Context, name string, revision int) (*release.Release, error)
	Last(ctx context.Context, name string) (*release.Release, error)
}

// getRevision returns the revision asked for, or the latest when it is 0.
func getRevision(ctx context.Context, s revisionGetter, name string, revision int) (*release.Release, error) {
	if revision > 0 {
		return s.Get(ctx, name, revision)
	}
	return s.Last(ctx, name)
}

// releaseView prints a release as Helm's status, install and upgrade do.
type releaseView struct {
	rls *release.Release
	// showMetadata adds CHART, VERSION and APP_VERSION.
	showMetadata bool
	showDesc     bool
	// debug adds the user-supplied and computed values, the hooks and the manifest.
	debug bool
	// computed are the computed values printed with debug.
	computed  map[string]any
	hideNotes bool
	// showObjects adds the objects' readiness.
	showObjects bool
	objects     []kube.Status
	objectsErr  error
}

func (v *releaseView) WriteJSON(w io.Writer) error { return encodeJSON(w, v.rls) }
func (v *releaseView) WriteYAML(w io.Writer) error { return encodeYAML(w, v.rls) }

func (v *releaseView) WriteTable(w io.Writer) error {
	r := v.rls
	info := r.Info
	if info == nil {
		info = &release.Info{}
	}
	fmt.Fprintf(w, "NAME: %s\n", r.Name)
	if !info.LastDeployed.IsZero() {
		fmt.Fprintf(w, "LAST DEPLOYED: %s\n", info.LastDeployed.Format(time.ANSIC))
	}
	fmt.Fprintf(w, "NAMESPACE: %s\n", r.Namespace)
	fmt.Fprintf(w, "STATUS: %s\n", info.Status)
	fmt.Fprintf(w, "REVISION: %d\n", r.Version)
	if v.showMetadata && r.Chart != nil && r.Chart.Metadata != nil {
		fmt.Fprintf(w, "CHART: %s\n", r.Chart.Metadata.Name)
		fmt.Fprintf(w, "VERSION: %s\n", r.Chart.Metadata.Version)
		fmt.Fprintf(w, "APP_VERSION: %s\n", r.Chart.Metadata.AppVersion)
	}
	if v.showDesc {
		fmt.Fprintf(w, "DESCRIPTION: %s\n", info.Description)
	}
	if v.showObjects {
		writeObjects(w, v.objects, v.objectsErr, r.Namespace)
	}
	writeTestSuite(w, r)
	if v.debug {
		fmt.Fprintln(w, "USER-SUPPLIED VALUES:")
		if err := encodeYAML(w, r.Config); err != nil {
			return err
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "COMPUTED VALUES:")
		if err := encodeYAML(w, v.computed); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if v.debug || strings.EqualFold(info.Description, "Dry run complete") {
		fmt.Fprintln(w, "HOOKS:")
		for _, h := range r.Hooks {
			fmt.Fprintf(w, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
		}
		fmt.Fprintf(w, "MANIFEST:\n%s\n", r.Manifest)
	}
	if !v.hideNotes && info.Notes != "" {
		fmt.Fprintf(w, "NOTES:\n%s\n", strings.TrimSpace(info.Notes))
	}
	return nil
}

// writeTestSuite prints the last run of the release's test hooks.
func writeTestSuite(w io.Writer, r *release.Release) {
	var tests []*release.Hook
	for _, h := range r.Hooks {
		for _, e := range h.Events {
			if e == release.HookTest {
				tests = append(tests, h)
				break
			}
		}
	}
	if len(tests) == 0 {
		fmt.Fprintln(w, "TEST SUITE: None")
		return
	}
	for _, h := range tests {
		if h.LastRun.StartedAt.IsZero() {
			continue
		}
		fmt.Fprintf(w, "TEST SUITE:     %s\nLast Started:   %s\nLast Completed: %s\nPhase:          %s\n",
			h.Name, h.LastRun.StartedAt.Format(time.ANSIC), h.LastRun.CompletedAt.Format(time.ANSIC), h.LastRun.Phase)
	}
}

// writeObjects prints the objects' readiness as a RESOURCES table.
func writeObjects(w io.Writer, objs []kube.Status, err error, namespace string) {
	fmt.Fprintln(w, "RESOURCES:")
	if err != nil {
		fmt.Fprintf(w, "  (could not read the objects: %v)\n", err)
		return
	}
	if len(objs) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	t := &table{sep: "  "}
	t.row("  OBJECT", "STATUS", "MESSAGE")
	ready := 0
	for _, s := range objs {
		if s.State == kube.StateCurrent {
			ready++
		}
		t.row("  "+shortRef(s.Ref, namespace), s.State, s.Message)
	}
	_ = t.write(w)
	fmt.Fprintf(w, "  %d of %d objects ready\n", ready, len(objs))
}

// objectReader reads live objects.
type objectReader interface {
	Get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error)
}

// objectStatuses reads the release's objects and computes their readiness
// with kstatus, a few at a time.
func objectStatuses(ctx context.Context, c objectReader, rls *release.Release) ([]kube.Status, error) {
	objs, err := manifestObjects(rls.Manifest)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.GetNamespace() == "" {
			// kube.Client fills in the namespace of namespaced objects;
			// the release's is the right one.
			o.SetNamespace(rls.Namespace)
		}
	}
	out := make([]kube.Status, len(objs))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, obj := range objs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = objectStatus(ctx, c, obj)
		}()
	}
	wg.Wait()
	return out, nil
}

func objectStatus(ctx context.Context, c objectReader, obj *unstructured.Unstructured) kube.Status {
	st := kube.Status{Ref: kube.RefOf(obj)}
	live, err := c.Get(ctx, obj)
	switch {
	case err != nil:
		st.State, st.Message = kube.StateUnknown, err.Error()
	case live == nil:
		st.State = kube.StateNotFound
	default:
		st.Ref = kube.RefOf(live)
		res, err := status.Compute(live)
		if err != nil {
			st.State, st.Message = kube.StateUnknown, err.Error()
		} else {
			st.State, st.Message = kube.State(res.Status.String()), res.Message
		}
	}
	return st
}

// manifestObjects parses a release manifest into objects.
func manifestObjects(manifest string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, doc := range render.SplitDocuments(manifest) {
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("release manifest: %w", err)
		}
		if s := strings.TrimSpace(string(j)); s == "null" || s == "{}" {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(j); err != nil {
			return nil, fmt.Errorf("release manifest: %w", err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}
