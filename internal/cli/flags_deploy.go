package cli

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/chart/values"
	"github.com/bargehq/barge/pkg/release"
)

// deployFlags are the flags install and upgrade share: values, waiting,
// dry runs, ownership and the record's description and labels.
type deployFlags struct {
	values          values.Options
	chart           chartFlags
	wait            release.WaitOptions
	output          outputFlags
	dryRun          string
	description     string
	labels          map[string]string
	atomic          bool
	forceConflicts  bool
	takeOwnership   bool
	takeOver        bool
	skipCRDs        bool
	noHooks         bool
	createNamespace bool
	fieldManager    string
	hideNotes       bool
	subchartNotes   bool
	skipSchema      bool
	disableOpenAPI  bool
	forceReplace    bool
	hideSecret      bool
	enableDNS       bool
	recreatePods    bool
	serverSide      string
	postRenderer    postRendererFlags
	// what is "install" or "upgrade", for the help texts.
	what string
}

// Bind registers the shared flags on fs.
func (d *deployFlags) Bind(fs *pflag.FlagSet) {
	(&valuesFlags{opts: &d.values}).Bind(fs)
	d.chart.Bind(fs, true)
	(&waitFlags{opts: &d.wait, what: d.what, atomic: true}).Bind(fs)
	d.output.Bind(fs)
	fs.StringVar(&d.dryRun, "dry-run", "", "simulate an "+d.what+". If --dry-run is set with no option being specified or as '--dry-run=client', it will not attempt cluster connections. Setting '--dry-run=server' allows attempting cluster connections.")
	fs.Lookup("dry-run").NoOptDefVal = "client"
	fs.StringVar(&d.description, "description", "", "add a custom description")
	fs.StringToStringVarP(&d.labels, "labels", "l", nil, "labels that would be added to release metadata. Should be divided by comma.")
	atomicHelp := "if set, the " + d.what + " process rolls back changes made in case of failure (an install is uninstalled). The --wait flag will be set automatically"
	fs.BoolVar(&d.atomic, "atomic", false, atomicHelp)
	fs.BoolVar(&d.atomic, "rollback-on-failure", false, atomicHelp+" (same as --atomic)")
	fs.BoolVar(&d.forceConflicts, "force-conflicts", false, "take over the fields other field managers own when applying, instead of failing on the conflict")
	fs.BoolVar(&d.takeOwnership, "take-ownership", false, "if set, "+d.what+" will ignore the check for helm annotations and take ownership of the existing resources (on install, with their fields: as --force-conflicts)")
	bindTakeOver(fs, &d.takeOver)
	fs.BoolVar(&d.skipCRDs, "skip-crds", false, "if set, no CRDs will be installed. By default, CRDs are installed if not already present")
	fs.BoolVar(&d.noHooks, "no-hooks", false, "prevent hooks from running during "+d.what)
	fs.BoolVar(&d.createNamespace, "create-namespace", false, "create the release namespace if not present")
	fs.StringVar(&d.fieldManager, "field-manager", defaultFieldManager, fieldManagerHelp)
	fs.BoolVar(&d.hideNotes, "hide-notes", false, "if set, do not show notes in "+d.what+" output. Does not affect presence in chart metadata")
	fs.BoolVar(&d.subchartNotes, "render-subchart-notes", false, "if set, render subchart notes along with the parent")
	fs.BoolVar(&d.skipSchema, "skip-schema-validation", false, "if set, disables JSON schema validation of the values, and the check of the objects against the Kubernetes API schema")
	fs.BoolVar(&d.disableOpenAPI, "disable-openapi-validation", false, "if set, the objects are not checked against the Kubernetes API schema before they are applied (the values are still checked against values.schema.json)")
	bindForceReplace(fs, &d.forceReplace)
	bindServerSide(fs, &d.serverSide)
	fs.BoolVar(&d.hideSecret, "hide-secret", false, "hide Kubernetes Secrets when also using the --dry-run flag")
	fs.BoolVar(&d.enableDNS, "enable-dns", false, "accepted for Helm's command lines: barge renders getHostByName as an empty string, without DNS lookups")
	d.postRenderer.Bind(fs)
	if d.what == "upgrade" {
		bindRecreatePods(fs, &d.recreatePods, true)
	}
}

// notes checks the flags that need it before a deploy runs (finding the
// post-renderer), and says on cfg.ErrOut, one line each, what the flags
// barge accepts without Helm's effect do instead.
func (d *deployFlags) notes(cfg *Config) error {
	if err := d.postRenderer.resolve(cfg); err != nil {
		return fmt.Errorf("--post-renderer: %w", err)
	}
	w := cfg.ErrOut
	if d.enableDNS {
		fmt.Fprintln(w, "Note: --enable-dns: barge does no DNS lookups while rendering; getHostByName renders as an empty string")
	}
	if d.recreatePods {
		fmt.Fprintln(w, recreatePodsNote)
	}
	return serverSideNote(w, d.serverSide)
}

// postRenderOptions returns what the post-render flags ask of the engine.
func (d *deployFlags) postRenderOptions() release.PostRenderOptions {
	return release.PostRenderOptions{PostRender: d.postRenderer.renderer(), HideSecret: d.hideSecret}
}

// bindForceReplace registers Helm 4's --force-replace and Helm 3's
// --force, which barge gives the same meaning.
func bindForceReplace(fs *pflag.FlagSet, v *bool) {
	fs.BoolVar(v, "force-replace", false, "force resource updates by replacement: an object whose change touches immutable fields (a Job's template, a Service's clusterIP, a selector...) is deleted and created again")
	fs.BoolVar(v, "force", false, "force resource updates through a replacement strategy (Helm 3's spelling of --force-replace)")
}

// bindServerSide registers Helm 4's --server-side.
func bindServerSide(fs *pflag.FlagSet, v *string) {
	fs.StringVar(v, "server-side", "auto", `must be "true", "false" or "auto". Object updates run in the server instead of the client ("auto" defaults the value from the previous chart release's method); barge always applies server-side`)
	fs.Lookup("server-side").NoOptDefVal = "true"
}

// serverSideNote checks --server-side, and says on w that false is not
// honoured.
func serverSideNote(w io.Writer, v string) error {
	switch v {
	case "true", "auto":
		return nil
	case "false":
		fmt.Fprintln(w, "Note: --server-side=false: barge always applies with server-side apply; it takes over the fields Helm applied client-side")
		return nil
	}
	return fmt.Errorf(`--server-side %q: must be "true", "false" or "auto"`, v)
}

// recreatePodsNote is what barge says of --recreate-pods.
const recreatePodsNote = "Note: --recreate-pods: barge does not restart pods; change a pod template annotation (for example a checksum of a ConfigMap) to roll them"

// bindRecreatePods registers Helm 3's --recreate-pods; deprecated says
// it is deprecated, as Helm's upgrade says (pflag prints Helm's warning).
func bindRecreatePods(fs *pflag.FlagSet, v *bool, deprecated bool) {
	fs.BoolVar(v, "recreate-pods", false, "performs pods restart for the resource if applicable")
	if deprecated {
		_ = fs.MarkDeprecated("recreate-pods", "functionality will no longer be updated. Consult the documentation for other methods to recreate pods")
	}
}

// checkOptions returns the checks the flags leave on.
func (d *deployFlags) checkOptions() release.CheckOptions {
	return release.CheckOptions{SkipSchemaValidation: d.skipSchema, DisableOpenAPIValidation: d.disableOpenAPI}
}

// bindTakeOver registers --take-over on fs.
func bindTakeOver(fs *pflag.FlagSet, v *bool) {
	fs.BoolVar(v, "take-over", false, "mark failed at once a pending or uninstalling revision that no barge lock covers (left by Helm or another client), instead of refusing while it is younger than "+release.ForeignPendingAge.String()+": use it when that client is gone")
}

// defaultFieldManager is the server-side apply field manager barge applies
// as: Helm v4's, so that Helm v4 and barge take turns on a release without
// conflicting over the fields each applied.
const defaultFieldManager = "helm"

const fieldManagerHelp = "the field manager the objects are applied as (server-side apply); the default is Helm v4's, so that Helm and barge take turns on a release without conflicts"

// historyLimit returns the engine's HistoryMax for --history-max n of
// upgrade or rollback: Helm's 0, keep every revision, is the engine's -1.
func historyLimit(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// dryRunMode parses --dry-run.
func (d *deployFlags) dryRunMode() (release.DryRun, error) {
	m, err := release.ParseDryRun(d.dryRun)
	if err != nil {
		return "", fmt.Errorf("invalid --dry-run %q: use client (the default when given without a value) or server", d.dryRun)
	}
	return m, nil
}
