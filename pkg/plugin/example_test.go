package plugin_test

import (
	"fmt"

	"github.com/bargehq/barge/pkg/plugin"
)

func ExampleParse() {
	p, err := plugin.Parse([]byte(`
name: secrets
version: 4.6.0
usage: Secrets encryption in Helm for Git storing
command: "$HELM_PLUGIN_DIR/scripts/run.sh"
downloaders:
  - command: "scripts/run.sh downloader"
    protocols: [secrets, sops]
`))
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Name, p.Type, p.IsCommand(), p.Protocols())
	// Output: secrets getter/v1 true [secrets sops]
}
