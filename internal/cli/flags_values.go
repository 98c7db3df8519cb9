package cli

import (
	"github.com/spf13/pflag"

	"github.com/bargehq/barge/pkg/chart/values"
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
