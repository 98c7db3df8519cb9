package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// helm2Spelling accepts the flag spellings of Helm 2 that Helm 3 dropped
// and that users still type from old notes and talks: `--f FILE` for
// `-f FILE`. Each use is noted once on stderr with today's spelling.
type helm2Spelling struct {
	used map[string]string
}

// helm2Flags maps a Helm 2 long flag to the flag it is today, and how to
// spell that.
var helm2Flags = map[string]struct{ flag, say string }{
	"f": {flag: "values", say: "-f (or --values)"},
}

// normalize is the commands' flag normalization function: it maps a Helm 2
// spelling to today's flag and remembers it was used.
func (h *helm2Spelling) normalize(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if to, ok := helm2Flags[name]; ok {
		if h.used == nil {
			h.used = map[string]string{}
		}
		h.used[name] = to.say
		return pflag.NormalizedName(to.flag)
	}
	return pflag.NormalizedName(name)
}

// note writes one line for each Helm 2 spelling used.
func (h *helm2Spelling) note(w io.Writer) {
	for old, say := range h.used {
		fmt.Fprintf(w, "Note: --%s is Helm 2's spelling; use %s\n", old, say)
	}
}

// helm2Name folds Helm 2's `install --name NAME CHART` into Helm 3's
// `install NAME CHART` arguments, noting the change on w.
func helm2Name(w io.Writer, name string, args []string, generate bool) ([]string, error) {
	if name == "" {
		return args, nil
	}
	switch {
	case generate:
		return nil, fmt.Errorf("cannot set --name and also --generate-name: drop one")
	case len(args) != 1:
		return nil, fmt.Errorf("--name %s and the arguments %s: with --name, give only the chart (or drop --name and give NAME CHART)", name, strings.Join(args, " "))
	}
	fmt.Fprintf(w, "Note: --name is Helm 2's spelling; the release name is now the first argument: barge install %s %s\n", name, args[0])
	return []string{name, args[0]}, nil
}
