package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/diff"
	"github.com/bargehq/barge/pkg/release"
	"github.com/bargehq/barge/pkg/release/storage"
)

// driftOptions are the flags of `barge drift` and `barge diff release`.
type driftOptions struct {
	output        outputFlags
	diff          diffFlags
	allNamespaces bool
	fieldManager  string
}

// bind registers the flags; multi adds drift's -A.
func (o *driftOptions) bind(f *pflag.FlagSet, multi bool) {
	o.output.Bind(f)
	o.diff.output = &o.output.format
	o.diff.Bind(f)
	f.StringVar(&o.fieldManager, "field-manager", defaultFieldManager, "the field manager the release's objects are applied as; fields it (or Helm) owns are the release's, others' are reported as foreign")
	if multi {
		f.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "check the releases of every namespace")
	}
}

func newDriftCmd(cfg *Config) *cobra.Command {
	o := &driftOptions{}
	cmd := &cobra.Command{
		Use:   "drift [RELEASE...]",
		Short: "Find changes made to releases' objects behind their back",
		Long: `Compare the live objects of releases with what each last applied: the
releases named, or every deployed or failed release of the namespace (of all
namespaces with -A).

For each object, a forced server-side apply dry run of the stored manifest
shows what the next apply would revert (a field edited, a label the chart sets
removed), an object deleted from the cluster shows as to be created, and the
fields other field managers added (with kubectl label, annotate, edit...),
which an apply would leave in place, are listed by path, manager and value.
Fields written by the cluster's own controllers are not drift.`,
		Example: `  barge drift -A --summary
  barge drift joomla1 web --detailed-exitcode
  barge drift -o json`,
		Args: releaseArgs(nil, allArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cfg, args)
		},
	}
	o.bind(cmd.Flags(), true)
	return cmd
}

// releaseDrift is the drift of one release, or why it could not be checked.
type releaseDrift struct {
	Release   string          `json:"release"`
	Namespace string          `json:"namespace"`
	Changes   *diff.ChangeSet `json:"changeSet"`
	// Error is why the release could not be checked; Changes is then nil.
	Error string `json:"error,omitempty"`

	err error
}

func (o *driftOptions) run(ctx context.Context, cfg *Config, names []string) error {
	if err := o.diff.check(); err != nil {
		return err
	}
	ns := cfg.Namespace()
	if o.allNamespaces {
		if len(names) > 0 {
			return fmt.Errorf("drift: give release names or -A, not both")
		}
		ns = ""
	}
	cc, err := cfg.connect(ctx, ns, true)
	if err != nil {
		return err
	}
	dopts, err := o.diff.options(true)
	if err != nil {
		return err
	}
	targets, failed, err := driftTargets(ctx, cc.store, ns, names)
	if err != nil {
		return err
	}
	// Each release is checked on its own: one that cannot be (its record
	// unreadable, its objects forbidden...) is reported in its place and
	// the others are still checked.
	results := make([]releaseDrift, 0, len(targets))
	for _, t := range targets {
		r := releaseDrift{Release: t.Name, Namespace: t.Namespace, err: failed.of(t)}
		if r.err == nil {
			r.Changes, r.err = o.check(ctx, cfg, cc, t, dopts)
		}
		if ctx.Err() != nil {
			return r.err // interrupted: no use going on
		}
		if r.err != nil {
			r.Error = r.err.Error()
		}
		results = append(results, r)
	}
	if len(names) == 1 && !o.allNamespaces && len(results) == 1 {
		// One release: the same output as `diff release`.
		if results[0].err != nil {
			return results[0].err
		}
		return o.diff.write(cfg, results[0].Changes, "live", "reapplied")
	}
	changed := slices.ContainsFunc(results, func(r releaseDrift) bool { return r.Changes != nil && r.Changes.HasChanges() })
	switch o.output.format {
	case outputJSON:
		if err := encodeJSON(cfg.Out, results); err != nil {
			return err
		}
	case outputYAML:
		if err := encodeYAML(cfg.Out, results); err != nil {
			return err
		}
	default:
		if err := o.writeText(cfg, results); err != nil {
			return err
		}
	}
	if err := driftFailures(results); err != nil {
		return err
	}
	return o.diff.exit(changed)
}

// check returns the drift of one release.
func (o *driftOptions) check(ctx context.Context, cfg *Config, cc *clusterClients, t storage.Summary, dopts release.DiffOptions) (*diff.ChangeSet, error) {
	eng, err := releaseEngine(cfg, cc, t.Namespace, o.fieldManager)
	if err != nil {
		return nil, err
	}
	cs, err := eng.DiffRelease(ctx, t.Name, dopts)
	if err != nil {
		return nil, err
	}
	cs.Suppress(o.diff.suppress...)
	return cs, nil
}

// driftFailures returns nil when every release was checked, otherwise the
// error that makes drift exit 1 once the others are printed, naming each
// release that could not be checked.
func driftFailures(results []releaseDrift) error {
	var b strings.Builder
	n := 0
	for _, r := range results {
		if r.err != nil {
			n++
			fmt.Fprintf(&b, "\n  release %q in namespace %q: %v", r.Release, r.Namespace, r.err)
		}
	}
	if n == 0 {
		return nil
	}
	return &ExitError{Code: 1, Err: fmt.Errorf("drift: %d of %d release(s) could not be checked; the others were:%s", n, len(results), b.String())}
}

// writeText prints each release's drift under a heading, or one line for
// releases without any.
func (o *driftOptions) writeText(cfg *Config, results []releaseDrift) error {
	if len(results) == 0 {
		_, err := fmt.Fprintln(cfg.Out, "No releases to check.")
		return err
	}
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(cfg.Out)
		}
		if r.err != nil {
			fmt.Fprintf(cfg.Out, "Release %q in namespace %q: not checked: %v\n", r.Release, r.Namespace, r.err)
			continue
		}
		if !r.Changes.HasChanges() && !o.diff.summary {
			fmt.Fprintf(cfg.Out, "Release %q in namespace %q: no drift\n", r.Release, r.Namespace)
			continue
		}
		fmt.Fprintf(cfg.Out, "Release %q in namespace %q:\n", r.Release, r.Namespace)
		if err := o.diff.writeTable(cfg, r.Changes, "live", "reapplied"); err != nil {
			return err
		}
	}
	return nil
}

// releaseLister lists releases.
type releaseLister interface {
	List(ctx context.Context, opts storage.ListOptions) ([]storage.Summary, error)
}

// driftTargets returns the releases to check: those named (in ns), or
// every deployed or failed release of ns (all namespaces when empty), with
// those whose record could not be read, which are among them.
func driftTargets(ctx context.Context, s releaseLister, ns string, names []string) ([]storage.Summary, unreadable, error) {
	all, err := s.List(ctx, storage.ListOptions{Statuses: []release.Status{release.StatusDeployed, release.StatusFailed}})
	var partial *storage.PartialError
	if err != nil && !errors.As(err, &partial) {
		return nil, nil, err
	}
	failed := unreadableRows(partial)
	all = append(all, failed.summaries()...)
	slices.SortStableFunc(all, func(a, b storage.Summary) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Namespace, b.Namespace)) // the store's order
	})
	if len(names) == 0 {
		return all, failed, nil
	}
	var out []storage.Summary
	for _, n := range names {
		i := slices.IndexFunc(all, func(r storage.Summary) bool { return r.Name == n })
		if i < 0 {
			return nil, nil, fmt.Errorf("release %q: %w in namespace %q (see 'barge list -a')", n, release.ErrNotFound, ns)
		}
		out = append(out, all[i])
	}
	return out, failed, nil
}
