package cli

import "github.com/spf13/pflag"

// outputFlags binds -o/--output.
type outputFlags struct {
	format outputFormat
}

// Bind registers -o/--output on fs, defaulting to table.
func (o *outputFlags) Bind(fs *pflag.FlagSet) {
	o.format = outputTable
	fs.VarP(&o.format, "output", "o", "prints the output in the specified format. Allowed values: table, json, yaml")
}
