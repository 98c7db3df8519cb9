package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// globalFlags binds the flags every command accepts onto Config, each with a
// BARGE_* environment variable as its default.
type globalFlags struct {
	cfg *Config
}

// settings lists barge's settings, in the order `barge env` prints them:
// each is read from $BARGE_<name>, else from Helm's $HELM_<name> (except
// KUBECONFIG, which Helm reads from kubectl's $KUBECONFIG).
var settings = []string{
	"DEBUG", "KUBECONFIG", "KUBECONTEXT", "NAMESPACE",
	"KUBEAPISERVER", "KUBETOKEN", "KUBECAFILE",
	"KUBEINSECURE_SKIP_TLS_VERIFY", "QPS", "BURST_LIMIT", "MAX_HISTORY",
}

// notHelms are the settings Helm has no $HELM_ variable for.
var notHelms = map[string]bool{"KUBECONFIG": true}

// Bind registers the global flags on fs; setting supplies their defaults
// from barge's settings (see Config.Setting).
func (g *globalFlags) Bind(fs *pflag.FlagSet, setting func(string) string) {
	k := &g.cfg.Kube
	fs.StringVar(&k.Kubeconfig, "kubeconfig", g.cfg.Getenv("BARGE_KUBECONFIG"), "path to the kubeconfig file ($BARGE_KUBECONFIG, else $KUBECONFIG)")
	fs.StringVar(&k.Context, "kube-context", setting("KUBECONTEXT"), "name of the kubeconfig context to use ($BARGE_KUBECONTEXT, $HELM_KUBECONTEXT)")
	fs.StringVarP(&k.Namespace, "namespace", "n", setting("NAMESPACE"), "namespace scope for this request ($BARGE_NAMESPACE, $HELM_NAMESPACE)")
	fs.StringVar(&k.APIServer, "kube-apiserver", setting("KUBEAPISERVER"), "the address and the port of the Kubernetes API server ($BARGE_KUBEAPISERVER, $HELM_KUBEAPISERVER)")
	fs.StringVar(&k.Token, "kube-token", setting("KUBETOKEN"), "bearer token used for authentication ($BARGE_KUBETOKEN, $HELM_KUBETOKEN)")
	fs.StringVar(&k.CAFile, "kube-ca-file", setting("KUBECAFILE"), "the certificate authority file for the Kubernetes API server connection ($BARGE_KUBECAFILE, $HELM_KUBECAFILE)")
	fs.BoolVar(&k.Insecure, "kube-insecure-skip-tls-verify", envBool(setting("KUBEINSECURE_SKIP_TLS_VERIFY")), "skip verification of the Kubernetes API server's certificate ($BARGE_KUBEINSECURE_SKIP_TLS_VERIFY, $HELM_KUBEINSECURE_SKIP_TLS_VERIFY)")
	fs.StringVar(&k.AsUser, "kube-as-user", setting("KUBEASUSER"), "username to impersonate for the operation ($BARGE_KUBEASUSER, $HELM_KUBEASUSER)")
	fs.StringArrayVar(&k.AsGroups, "kube-as-group", envCSV(setting("KUBEASGROUPS")), "group to impersonate for the operation, this flag can be repeated to specify multiple groups. ($BARGE_KUBEASGROUPS, $HELM_KUBEASGROUPS: comma-separated)")
	fs.StringVar(&k.TLSServerName, "kube-tls-server-name", setting("KUBETLS_SERVER_NAME"), "server name to use for Kubernetes API server certificate validation. If it is not provided, the hostname used to contact the server is used ($BARGE_KUBETLS_SERVER_NAME, $HELM_KUBETLS_SERVER_NAME)")
	fs.Float32Var(&k.QPS, "qps", envFloat(setting("QPS")), "queries per second to the Kubernetes API, 0 for barge's default of 200 ($BARGE_QPS, $HELM_QPS)")
	fs.IntVar(&k.Burst, "burst-limit", envInt(setting("BURST_LIMIT")), "client-side throttling burst, 0 for barge's default of 400 ($BARGE_BURST_LIMIT, $HELM_BURST_LIMIT)")
	fs.StringVar(&g.cfg.RepositoryConfig, "repository-config", "", "path to the file of chart repositories (default: Helm's repositories.yaml, $BARGE_REPOSITORY_CONFIG, $HELM_REPOSITORY_CONFIG)")
	fs.StringVar(&g.cfg.RepositoryCache, "repository-cache", "", "path to the directory of cached repository indexes and charts (default: Helm's, $BARGE_REPOSITORY_CACHE, $HELM_REPOSITORY_CACHE)")
	fs.StringVar(&g.cfg.RegistryConfig, "registry-config", "", "path to the registry config file (default: Helm's, $BARGE_REGISTRY_CONFIG, $HELM_REGISTRY_CONFIG)")
	fs.StringVar(&g.cfg.ContentCache, "content-cache", setting("CONTENT_CACHE"), "Helm 4's directory of cached content: accepted so that Helm 4's command lines run; barge caches charts under --repository-cache ($BARGE_CONTENT_CACHE, $HELM_CONTENT_CACHE)")
	g.cfg.Color = colorMode(g.colorDefault(setting))
	colorHelp := "use colored output (never, auto, always): barge colours only diffs, on a terminal with auto ($NO_COLOR, $BARGE_COLOR, $HELM_COLOR)"
	fs.Var(&g.cfg.Color, "color", colorHelp)
	fs.Var(&g.cfg.Color, "colour", colorHelp)
	fs.BoolVar(&g.cfg.Debug, "debug", envBool(setting("DEBUG")), "enable verbose output ($BARGE_DEBUG, $HELM_DEBUG)")
}

// colorDefault is --color's default: never when $NO_COLOR is set, else
// $BARGE_COLOR or $HELM_COLOR when valid, else auto, as Helm 4 does.
func (g *globalFlags) colorDefault(setting func(string) string) string {
	if g.cfg.Getenv("NO_COLOR") != "" {
		return colorNever
	}
	var m colorMode
	if err := m.Set(setting("COLOR")); err == nil {
		return string(m)
	}
	return colorAuto
}

// The values of --color.
const (
	colorNever  = "never"
	colorAuto   = "auto"
	colorAlways = "always"
)

// colorMode is the value of --color (and --colour): never, auto or always.
type colorMode string

// String returns the mode.
func (m *colorMode) String() string { return string(*m) }

// Type names the flag's type in the help.
func (m *colorMode) Type() string { return "string" }

// Set accepts never, auto or always.
func (m *colorMode) Set(s string) error {
	switch s {
	case colorNever, colorAuto, colorAlways:
		*m = colorMode(s)
		return nil
	}
	return fmt.Errorf("--color %q: use never, auto or always", s)
}

// envCSV splits a comma-separated setting, as Helm reads $HELM_KUBEASGROUPS.
func envCSV(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// maxHistory is the default of --history-max: $BARGE_MAX_HISTORY or
// $HELM_MAX_HISTORY, else Helm's 10.
func (c *Config) maxHistory() int {
	if n, err := strconv.Atoi(c.Setting("MAX_HISTORY")); err == nil {
		return n
	}
	return 10
}

func envBool(s string) bool {
	b, _ := strconv.ParseBool(s)
	return b
}

func envFloat(s string) float32 {
	f, _ := strconv.ParseFloat(s, 32)
	return float32(f)
}

func envInt(s string) int {
	i, _ := strconv.Atoi(s)
	return i
}

func itoa(i int) string { return strconv.Itoa(i) }
