package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/chart/values"
	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/kubeschema"
	"github.com/bargehq/barge/pkg/release"
)

// templateOptions are the flags of `barge template`.
type templateOptions struct {
	values         values.Options
	chart          chartFlags
	generateName   bool
	nameTemplate   string
	includeCRDs    bool
	skipCRDs       bool
	skipTests      bool
	noHooks        bool
	isUpgrade      bool
	useReleaseName bool
	validate       bool
	subchartNotes  bool
	showOnly       []string
	outputDir      string
	apiVersions    []string
	kubeVersion    string
	postRenderer   postRendererFlags
	skipSchema     bool
	disableOpenAPI bool

	// Flags of `helm template` that change nothing in a local render,
	// accepted so that Helm command lines work unchanged.
	ignored struct {
		dryRun                          string
		timeout                         time.Duration
		description                     string
		labels                          map[string]string
		wait, waitForJobs, atomic       bool
		createNamespace, replace, force bool
		takeOwnership, hideNotes        bool
		hideSecret                      bool
		enableDNS                       bool
		forceConflicts, forceReplace    bool
		rollbackOnFailure               bool
		serverSide                      string
	}
}

func newTemplateCmd(cfg *Config) *cobra.Command {
	o := &templateOptions{}
	cmd := &cobra.Command{
		Use:   "template [NAME] CHART",
		Short: "Render chart templates locally and print them",
		Long: `Render a chart's templates locally and print the manifests, byte for byte as
'helm template' does.

Values that would be looked up in a cluster are faked: lookup returns nothing,
and the capabilities are Kubernetes v1.37.0's unless --kube-version and
--api-versions say otherwise. Nothing is validated against a server.

With --validate, the capabilities are the cluster's, every kind must be served
by it, and every object is checked as install checks it before applying
anything: against the Kubernetes API schema embedded in barge (types, required
and unknown fields; custom resources against the chart's CRDs), for API
versions the cluster's version has removed, and for valid names and labels.
--disable-openapi-validation (or --skip-schema-validation, which also skips
values.schema.json) turns that check off.`,
		Example: `  barge template myrelease ./mychart -f values.yaml --set image.tag=1.2.3
  barge template ./mychart --generate-name --show-only templates/service.yaml
  barge template myrelease ./mychart --include-crds --output-dir ./out`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cfg, args)
		},
	}
	f := cmd.Flags()
	(&valuesFlags{opts: &o.values}).Bind(f)
	f.BoolVarP(&o.generateName, "generate-name", "g", false, "generate the name (and omit the NAME parameter)")
	f.StringVar(&o.nameTemplate, "name-template", "", "specify template used to name the release")
	f.BoolVar(&o.includeCRDs, "include-crds", false, "include CRDs in the templated output")
	f.BoolVar(&o.skipCRDs, "skip-crds", false, "if set, no CRDs will be installed (template prints CRDs only with --include-crds)")
	f.BoolVar(&o.skipTests, "skip-tests", false, "skip tests from templated output")
	f.BoolVar(&o.noHooks, "no-hooks", false, "leave hooks out of the templated output")
	f.BoolVar(&o.isUpgrade, "is-upgrade", false, "set .Release.IsUpgrade instead of .Release.IsInstall")
	f.BoolVar(&o.useReleaseName, "release-name", false, "use release name in the output-dir path.")
	f.BoolVar(&o.validate, "validate", false, "validate your manifests against the Kubernetes cluster you are currently pointing at: its version and API versions become the capabilities, and every kind must be served")
	f.BoolVar(&o.subchartNotes, "render-subchart-notes", false, "if set, render subchart notes along with the parent")
	f.StringArrayVarP(&o.showOnly, "show-only", "s", []string{}, "only show manifests rendered from the given templates")
	f.StringVar(&o.outputDir, "output-dir", "", "writes the executed templates to files in output-dir instead of stdout")
	f.StringSliceVarP(&o.apiVersions, "api-versions", "a", []string{}, "Kubernetes api versions used for Capabilities.APIVersions")
	f.StringVar(&o.kubeVersion, "kube-version", "", "Kubernetes version used for Capabilities.KubeVersion")
	o.postRenderer.Bind(f)
	f.BoolVar(&o.skipSchema, "skip-schema-validation", false, "if set, disables JSON schema validation of the values (and, with --validate, the check of the objects against the Kubernetes API schema)")
	f.BoolVar(&o.disableOpenAPI, "disable-openapi-validation", false, "with --validate, do not check the objects against the Kubernetes API schema")
	o.chart.Bind(f, true)
	o.chart.progress = func(cfg *Config) io.Writer { return cfg.ErrOut }
	o.bindHelmCompat(f)
	return cmd
}

// bindHelmCompat registers, hidden, the install flags `helm template`
// accepts that have no effect on a local render, and two it honours that
// barge does not (--enable-dns, --skip-schema-validation), refused in run.
func (o *templateOptions) bindHelmCompat(f *pflag.FlagSet) {
	g := &o.ignored
	f.StringVar(&g.dryRun, "dry-run", "", "ignored: template never changes the cluster")
	f.Lookup("dry-run").NoOptDefVal = "client"
	f.DurationVar(&g.timeout, "timeout", 5*time.Minute, "ignored by template")
	f.StringVar(&g.description, "description", "", "ignored by template")
	f.StringToStringVarP(&g.labels, "labels", "l", nil, "ignored by template")
	f.Var(&waitStrategy{wait: &g.wait}, "wait", "ignored by template")
	f.Lookup("wait").NoOptDefVal = waitWatcher
	f.StringVar(&g.serverSide, "server-side", "auto", "ignored by template")
	f.Lookup("server-side").NoOptDefVal = "true"
	for name, p := range map[string]*bool{
		"wait-for-jobs": &g.waitForJobs, "atomic": &g.atomic, "rollback-on-failure": &g.rollbackOnFailure,
		"create-namespace": &g.createNamespace, "replace": &g.replace, "force": &g.force,
		"force-replace": &g.forceReplace, "force-conflicts": &g.forceConflicts,
		"take-ownership": &g.takeOwnership, "hide-notes": &g.hideNotes, "hide-secret": &g.hideSecret,
		"enable-dns": &g.enableDNS,
	} {
		f.BoolVar(p, name, false, "ignored by template")
	}
	for _, name := range []string{"dry-run", "timeout", "description", "labels", "wait", "wait-for-jobs", "atomic",
		"rollback-on-failure", "create-namespace", "replace", "force", "force-replace", "force-conflicts",
		"server-side", "take-ownership", "hide-notes", "hide-secret", "enable-dns"} {
		_ = f.MarkHidden(name)
	}
}

func (o *templateOptions) run(ctx context.Context, cfg *Config, args []string) error {
	name, chartPath, err := o.nameAndChart(args, time.Now)
	if err != nil {
		return err
	}
	if o.ignored.enableDNS {
		fmt.Fprintln(cfg.ErrOut, "Note: --enable-dns: barge does no DNS lookups while rendering; getHostByName renders as an empty string")
	}
	caps := render.DefaultCapabilities()
	if o.kubeVersion != "" {
		kv, err := render.ParseKubeVersion(o.kubeVersion)
		if err != nil {
			return fmt.Errorf("invalid kube version '%s': %s", o.kubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	caps.APIVersions = append(caps.APIVersions, o.apiVersions...)
	var cluster *kube.Client
	if o.validate {
		// As Helm, take the capabilities from the cluster; --kube-version
		// and --api-versions do not apply.
		if cluster, err = kube.New(cfg.Kube, kube.WithLogger(cfg.Logger())); err != nil {
			return fmt.Errorf("--validate: %w", err)
		}
		if caps, err = clusterCapabilities(ctx, cluster, nil); err != nil {
			return err
		}
	}
	var postRender func([]byte) ([]byte, error)
	if err := o.postRenderer.resolve(cfg); err != nil {
		return fmt.Errorf("--post-renderer: %w", err)
	}
	if pr := o.postRenderer.renderer(); pr != nil {
		postRender = func(in []byte) ([]byte, error) { return pr(ctx, in) }
	}
	user, err := cfg.mergeValues(ctx, o.values)
	if err != nil {
		return err
	}
	if err := validateReleaseName(name); err != nil {
		return err
	}
	opened, err := o.chart.open(ctx, cfg, chartPath, true)
	if err != nil {
		return err
	}
	ch := opened.Chart
	r, err := render.New(ch)
	if err != nil {
		return err
	}
	res, err := r.Render(ctx, render.Options{
		ReleaseName:   name,
		Namespace:     cfg.Namespace(),
		IsUpgrade:     o.isUpgrade,
		Values:        user,
		Capabilities:  caps,
		SubchartNotes: o.subchartNotes,
		// With --validate, the objects are checked as install checks them.
		KeepObjects:          o.validate && !o.skipSchema && !o.disableOpenAPI,
		SkipSchemaValidation: o.skipSchema,
	})
	if err != nil {
		// As Helm, point at --debug for errors found while rendering.
		var (
			me *render.ManifestError
			te *render.TemplateError
			ke *render.KubeVersionError
		)
		if errors.As(err, &me) && cfg.Debug {
			// As Helm with --debug, show what was rendered.
			names := make([]string, 0, len(me.Rendered))
			for n := range me.Rendered {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if strings.TrimSpace(me.Rendered[n]) != "" {
					fmt.Fprintf(cfg.Out, "---\n# Source: %s\n%s\n", n, me.Rendered[n])
				}
			}
			return err
		}
		if errors.As(err, &me) || errors.As(err, &te) || errors.As(err, &ke) {
			return fmt.Errorf("%w\n\nUse --debug flag to render out invalid YAML", err)
		}
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(cfg.ErrOut, w)
	}
	if cluster != nil {
		if err := validateMappings(cluster.RESTMapper(), res.Manifests); err != nil {
			return err
		}
		if o.validate && !o.skipSchema && !o.disableOpenAPI {
			schema, err := kubeschema.Embedded()
			if err != nil {
				return err
			}
			if err := release.CheckObjects(schema, name, cfg.Namespace(), res, caps); err != nil {
				return err
			}
		}
	}
	if o.outputDir != "" {
		return o.writeDir(cfg.Out, res, name, postRender)
	}
	out, err := res.TemplateOutput(render.OutputOptions{
		IncludeCRDs:  o.includeCRDs,
		SkipTests:    o.skipTests,
		DisableHooks: o.noHooks,
		ShowOnly:     o.showOnly,
		PostRender:   postRender,
	})
	if err != nil {
		var pe *postRenderError
		if errors.As(err, &pe) {
			return fmt.Errorf("%w\n\nUse --debug flag to render out invalid YAML", err)
		}
		return err
	}
	_, err = io.WriteString(cfg.Out, out)
	return err
}

// nameAndChart returns the release name and the chart path from the
// arguments and the naming flags, as Helm does.
func (o *templateOptions) nameAndChart(args []string, now func() time.Time) (string, string, error) {
	switch {
	case len(args) == 0:
		return "", "", errors.New("template: a CHART argument is required: barge template [NAME] CHART")
	case len(args) > 2:
		return "", "", fmt.Errorf("expected at most two arguments, unexpected arguments: %s", strings.Join(args[2:], ", "))
	case len(args) == 2:
		if o.generateName {
			return "", "", errors.New("cannot set --generate-name and also specify a name")
		}
		if o.nameTemplate != "" {
			return "", "", errors.New("cannot set --name-template and also specify a name")
		}
		return args[0], args[1], nil
	}
	if o.nameTemplate != "" {
		t, err := template.New("name-template").Funcs(sprig.TxtFuncMap()).Parse(o.nameTemplate)
		if err != nil {
			return "", "", fmt.Errorf("--name-template: %w", err)
		}
		var b strings.Builder
		if err := t.Execute(&b, nil); err != nil {
			return "", "", fmt.Errorf("--name-template: %w", err)
		}
		return b.String(), args[0], nil
	}
	if !o.generateName {
		// Helm's `template` names the release "release-name" when no name
		// is given.
		return "release-name", args[0], nil
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

func validateReleaseName(name string) error {
	if name == "" {
		return errors.New(`release name "": no name provided`)
	}
	return release.ValidateName(name)
}

// writeDir writes the render into files under --output-dir, one per
// template, as `helm template --output-dir` does, and prints each path
// written.
func (o *templateOptions) writeDir(out io.Writer, res *render.Result, name string, postRender func([]byte) ([]byte, error)) error {
	dir := o.outputDir
	if o.useReleaseName {
		dir = filepath.Join(dir, name)
	}
	written := make(map[string]bool)
	if o.includeCRDs {
		for _, c := range res.CRDs {
			if err := writeManifestFile(out, o.outputDir, c.Source, string(c.Content), written[c.Source]); err != nil {
				return err
			}
			written[c.Source] = true
		}
	}
	for _, m := range res.Manifests {
		if err := writeManifestFile(out, dir, m.Source, m.Content, written[m.Source]); err != nil {
			return err
		}
		written[m.Source] = true
	}
	manifest := ""
	if postRender != nil {
		b, err := postRender(nil)
		if err != nil {
			return fmt.Errorf("error while running post render on files: %w", err)
		}
		manifest = string(b)
	}
	text := strings.TrimSpace(manifest) + "\n"
	if !o.noHooks {
		for _, h := range res.Hooks {
			if o.skipTests && h.IsTest() {
				continue
			}
			_, statErr := os.Stat(filepath.Join(dir, h.Source))
			if err := writeManifestFile(out, dir, h.Source, h.Content, statErr == nil); err != nil {
				return err
			}
		}
	}
	if len(o.showOnly) > 0 {
		var err error
		if text, err = render.ShowOnly(text, o.showOnly); err != nil {
			return err
		}
	}
	_, err := io.WriteString(out, text)
	return err
}

// writeManifestFile writes (or appends) one document to dir/name.
func writeManifestFile(out io.Writer, dir, name, content string, appendTo bool) error {
	path := dir + string(filepath.Separator) + name
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("--output-dir: %w", err)
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_APPEND | os.O_WRONLY
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return fmt.Errorf("--output-dir: %w", err)
	}
	if _, err := fmt.Fprintf(f, "---\n# Source: %s\n%s\n", name, content); err != nil {
		f.Close()
		return fmt.Errorf("--output-dir: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--output-dir: write %s: %w", path, err)
	}
	fmt.Fprintf(out, "wrote %s\n", path)
	return nil
}
