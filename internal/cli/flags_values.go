package cli

import (
	"bytes"
	"context"
	"net/url"

	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/chart/values"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// valuesFlags binds the values flags of template, install and upgrade
// (-f/--values and the --set family) onto a values.Options.
type valuesFlags struct {
	opts *values.Options
}

// Bind registers the values flags on fs.
func (v *valuesFlags) Bind(fs *pflag.FlagSet) {
	o := v.opts
	fs.StringSliceVarP(&o.ValueFiles, "values", "f", []string{}, "specify values in a YAML file (can specify multiple; - reads standard input)")
	fs.StringArrayVar(&o.Values, "set", []string{}, "set values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)")
	fs.StringArrayVar(&o.StringValues, "set-string", []string{}, "set STRING values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)")
	fs.StringArrayVar(&o.FileValues, "set-file", []string{}, "set values from respective files specified via the command line (can specify multiple or separate values with commas: key1=path1,key2=path2)")
	fs.StringArrayVar(&o.JSONValues, "set-json", []string{}, "set JSON values on the command line (can specify multiple or separate values with commas: key1=jsonval1,key2=jsonval2)")
	fs.StringArrayVar(&o.LiteralValues, "set-literal", []string{}, "set a literal STRING value on the command line")
}

// mergeValues merges the values flags o (see values.Options.MergeContext),
// reading "-" from standard input and the values files named by a URL
// with fetchValues.
func (c *Config) mergeValues(ctx context.Context, o values.Options) (map[string]any, error) {
	o.Fetch = c.fetchValues
	return o.MergeContext(ctx, c.In)
}

// fetchValues reads the values file at rawURL: http:// and https:// with
// barge's getter (bounded, TLS as for repositories; credentials in the URL
// go to its scheme, host and port only, never to a host it redirects to),
// other schemes with the downloader plugin that declares them (as
// `-f secrets://values.yaml` with helm-secrets).
func (c *Config) fetchValues(ctx context.Context, rawURL string) ([]byte, error) {
	g := c.getter()
	req := getter.Request{URL: rawURL, Kind: getter.KindValues}
	if u, err := url.Parse(rawURL); err == nil && u.User != nil && (u.Scheme == "http" || u.Scheme == "https") {
		req.Repo.Username = u.User.Username()
		req.Repo.Password, _ = u.User.Password()
		u.User = nil
		req.URL = u.String()
		req.Repo.URL = req.URL
	}
	var b bytes.Buffer
	if _, err := g.Get(ctx, req, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
