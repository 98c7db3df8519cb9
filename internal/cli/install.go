package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
	"github.com/spf13/cobra"
	helmchart "helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/cluster"
	"github.com/bargehq/barge/pkg/release"
)

// installOptions are the flags of `barge install`.
type installOptions struct {
	deploy       deployFlags
	generateName bool
	nameTemplate string
	replace      bool
	// helm2Name is Helm 2's --name NAME.
	helm2Name string
}

func newInstallCmd(cfg *Config) *cobra.Command {
	o := &installOptions{deploy: deployFlags{what: "install"}}
	cmd := &cobra.Command{
		Use:   "install [NAME] CHART",
		Short: "Install a chart",
		Long: `Install a chart archive or directory as a release.

The release's objects are applied with server-side apply, in Helm's order by
kind, after the chart's CRDs and pre-install hooks; the release is recorded
in Helm's format, so Helm sees it too. With --wait, barge waits until every
object is ready, showing which are not and why; with --atomic (or
--rollback-on-failure) a failed install is uninstalled.

Values come from the chart, then from -f/--values files, then from the --set
flags, each overriding what came before.`,
		Example: `  barge install joomla1 ./charts/joomla -f ./charts/joomla/examples/talk-values.yaml --wait
  barge install ./mychart --generate-name --set image.tag=1.2.3
  barge install web ./mychart --dry-run=server -o yaml`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			args, err := helm2Name(cfg.ErrOut, o.helm2Name, args, o.generateName)
			if err != nil {
				return err
			}
			return o.run(cmd.Context(), cfg, args)
		},
	}
	cmd.PreRunE = func(*cobra.Command, []string) error { return o.deploy.notes(cfg) }
	f := cmd.Flags()
	o.deploy.Bind(f)
	f.StringVar(&o.helm2Name, "name", "", "Helm 2's spelling of the NAME argument")
	_ = f.MarkHidden("name")
	f.BoolVarP(&o.generateName, "generate-name", "g", false, "generate the name (and omit the NAME parameter)")
	f.StringVar(&o.nameTemplate, "name-template", "", "specify template used to name the release")
	f.BoolVar(&o.replace, "replace", false, "re-use the given name, only if that name is a deleted release which remains in the history. This is unsafe in production")
	return cmd
}

func (o *installOptions) run(ctx context.Context, cfg *Config, args []string) error {
	ctx, cancel := release.WithTimeout(ctx, o.deploy.wait.Timeout, o.deploy.atomic)
	defer cancel()
	name, chartPath, err := installNameAndChart(args, o.generateName, o.nameTemplate, time.Now)
	if err != nil {
		return err
	}
	if err := release.ValidateName(name); err != nil {
		return err
	}
	d := &o.deploy
	dry, err := d.dryRunMode()
	if err != nil {
		return err
	}
	vals, ch, err := d.inputs(ctx, cfg, chartPath)
	if err != nil {
		return err
	}
	ns := cfg.Namespace()
	eng, err := d.engine(ctx, cfg, ns, dry, parseEarly(ch))
	if err != nil {
		return err
	}
	opts := d.installPlanOptions()
	opts.WaitOptions = d.wait
	opts.DryRun = dry
	opts.Replace = o.replace
	opts.Atomic = d.atomic
	// Adopting objects means taking over their fields too: those set by
	// whoever created them (kubectl, another tool) would conflict.
	opts.ForceConflicts = d.forceConflicts || d.takeOwnership
	opts.Description = d.description
	opts.HookLogs = cfg.ErrOut
	done := showProgress(cfg, &opts.WaitOptions, ns, d.atomic)
	rls, err := eng.Install(ctx, name, ch, vals, opts)
	done()
	if err != nil {
		return operationError(ctx, cfg, "INSTALLATION FAILED", name, err)
	}
	return d.print(cfg, rls)
}

// inputs merges the values flags and loads the chart at chartPath: what an
// install or upgrade renders.
func (d *deployFlags) inputs(ctx context.Context, cfg *Config, chartPath string) (map[string]any, *helmchart.Chart, error) {
	vals, err := cfg.mergeValues(ctx, d.values)
	if err != nil {
		return nil, nil, err
	}
	opened, err := d.chart.open(ctx, cfg, chartPath, true)
	if err != nil {
		return nil, nil, err
	}
	return vals, opened.Chart, nil
}

// installPlanOptions returns the options that decide what an install does:
// as `barge install` applies it and `barge diff upgrade --install` shows it.
func (d *deployFlags) installPlanOptions() release.InstallOptions {
	return release.InstallOptions{
		NoHooks:         d.noHooks,
		SkipCRDs:        d.skipCRDs,
		CreateNamespace: d.createNamespace,
		TakeOwnership:   d.takeOwnership,
		TakeOver:        d.takeOver,
		Labels:          d.labels,
		SubchartNotes:   d.subchartNotes,
		CheckOptions:    d.checkOptions(),
		ForceReplace:    d.forceReplace,
		// The post-renderer and --hide-secret change what is planned.
		PostRenderOptions: d.postRenderOptions(),
	}
}

// engine returns the engine for a deploy: one without a cluster for a
// client-side dry run, one on the connected cluster otherwise.
func (d *deployFlags) engine(ctx context.Context, cfg *Config, ns string, dry release.DryRun, early *earlyRenderer) (*release.Engine, error) {
	if dry == release.DryRunClient {
		return clientEngine(cfg, ns, early)
	}
	cc, err := cfg.connect(ctx, ns, true)
	if err != nil {
		return nil, err
	}
	return cc.engine(ctx, cfg, ns, d.fieldManager, early)
}

// print prints the release an install or upgrade made.
func (d *deployFlags) print(cfg *Config, rls *release.Release) error {
	v := &releaseView{rls: rls, hideNotes: d.hideNotes, debug: cfg.Debug}
	if cfg.Debug {
		computed, err := computedValues(rls)
		if err != nil {
			return err
		}
		v.computed = computed
	}
	return d.output.format.write(cfg.Out, v)
}

// showProgress makes an operation that waits report the objects' readiness
// on stderr. The returned function ends the display.
func showProgress(cfg *Config, w *release.WaitOptions, ns string, atomic bool) func() {
	if !w.Wait && !atomic {
		return func() {}
	}
	p := newWaitProgress(cfg.ErrOut, ns)
	w.Progress = p.update
	p.run()
	return p.finish
}

// operationError words the failure of an operation as Helm does ("UPGRADE
// FAILED: ..."), saying when it was interrupted.
func operationError(ctx context.Context, cfg *Config, prefix, name string, err error) error {
	if cluster.IsUnreachable(err) || errors.Is(err, release.ErrLocked) {
		return err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		fmt.Fprintf(cfg.ErrOut, "Release %s has been cancelled.\n", name)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// looksLikeChart reports whether an install's only argument names a chart
// rather than a release: a path that exists, or a reference a release
// name cannot be (with a slash, a dot or a scheme).
func looksLikeChart(arg string) bool {
	if _, err := os.Stat(arg); err == nil {
		return true
	}
	return strings.ContainsAny(arg, "/.:") || arg == "."
}

// installNameAndChart reads the release name and chart path from the
// arguments and the naming flags, as Helm's install does.
func installNameAndChart(args []string, generate bool, nameTemplate string, now func() time.Time) (string, string, error) {
	if len(args) > 2 {
		return "", "", fmt.Errorf("expected at most two arguments, unexpected arguments: %s", strings.Join(args[2:], ", "))
	}
	if len(args) == 2 {
		if generate {
			return "", "", errors.New("cannot set --generate-name and also specify a name")
		}
		if nameTemplate != "" {
			return "", "", errors.New("cannot set --name-template and also specify a name")
		}
		return args[0], args[1], nil
	}
	if nameTemplate != "" {
		t, err := template.New("name-template").Funcs(sprig.TxtFuncMap()).Parse(nameTemplate)
		if err != nil {
			return "", "", fmt.Errorf("--name-template: %w", err)
		}
		var b strings.Builder
		if err := t.Execute(&b, nil); err != nil {
			return "", "", fmt.Errorf("--name-template: %w", err)
		}
		return b.String(), args[0], nil
	}
	if !generate {
		if looksLikeChart(args[0]) {
			return "", "", fmt.Errorf("must either provide a name or specify --generate-name: give the release a name, as in `install NAME %s`", args[0])
		}
		return "", "", fmt.Errorf("the CHART argument is missing: `install %s CHART` installs CHART (a directory, an archive, repo/chart, a URL or oci://...) as release %s", args[0], args[0])
	}
	base := filepath.Base(args[0])
	if base == "." || base == "" {
		base = "chart"
	}
	if i := strings.Index(base, "."); i != -1 {
		base = base[:i]
	}
	return fmt.Sprintf("%s-%d", base, now().Unix()), args[0], nil
}
