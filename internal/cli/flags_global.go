package cli

import (
	"strconv"

	"github.com/spf13/pflag"
)

// globalFlags binds the flags every command accepts onto Config, each with a
// BARGE_* environment variable as its default.
type globalFlags struct {
	cfg *Config
}

// envVars lists the environment variables of the global flags, in the order
// `barge env` prints them.
var envVars = []string{
	"BARGE_DEBUG", "BARGE_KUBECONFIG", "BARGE_KUBECONTEXT", "BARGE_NAMESPACE",
	"BARGE_KUBEAPISERVER", "BARGE_KUBETOKEN", "BARGE_KUBECAFILE",
	"BARGE_KUBEINSECURE_SKIP_TLS_VERIFY", "BARGE_QPS", "BARGE_BURST_LIMIT",
}

// Bind registers the global flags on fs; getenv supplies the BARGE_* defaults.
func (g *globalFlags) Bind(fs *pflag.FlagSet, getenv func(string) string) {
	k := &g.cfg.Kube
	fs.StringVar(&k.Kubeconfig, "kubeconfig", getenv("BARGE_KUBECONFIG"), "path to the kubeconfig file ($BARGE_KUBECONFIG, else $KUBECONFIG)")
	fs.StringVar(&k.Context, "kube-context", getenv("BARGE_KUBECONTEXT"), "name of the kubeconfig context to use ($BARGE_KUBECONTEXT)")
	fs.StringVarP(&k.Namespace, "namespace", "n", getenv("BARGE_NAMESPACE"), "namespace scope for this request ($BARGE_NAMESPACE)")
	fs.StringVar(&k.APIServer, "kube-apiserver", getenv("BARGE_KUBEAPISERVER"), "the address and the port of the Kubernetes API server ($BARGE_KUBEAPISERVER)")
	fs.StringVar(&k.Token, "kube-token", getenv("BARGE_KUBETOKEN"), "bearer token used for authentication ($BARGE_KUBETOKEN)")
	fs.StringVar(&k.CAFile, "kube-ca-file", getenv("BARGE_KUBECAFILE"), "the certificate authority file for the Kubernetes API server connection ($BARGE_KUBECAFILE)")
	fs.BoolVar(&k.Insecure, "kube-insecure-skip-tls-verify", envBool(getenv("BARGE_KUBEINSECURE_SKIP_TLS_VERIFY")), "skip verification of the Kubernetes API server's certificate ($BARGE_KUBEINSECURE_SKIP_TLS_VERIFY)")
	fs.Float32Var(&k.QPS, "qps", envFloat(getenv("BARGE_QPS")), "queries per second to the Kubernetes API, 0 for barge's default of 200 ($BARGE_QPS)")
	fs.IntVar(&k.Burst, "burst-limit", envInt(getenv("BARGE_BURST_LIMIT")), "client-side throttling burst, 0 for barge's default of 400 ($BARGE_BURST_LIMIT)")
	fs.BoolVar(&g.cfg.Debug, "debug", envBool(getenv("BARGE_DEBUG")), "enable verbose output ($BARGE_DEBUG)")
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
