package values_test

import (
	"fmt"

	"github.com/bargehq/barge/pkg/chart/values"
	"helm.sh/helm/v3/pkg/chart/loader"
)

func ExampleResolve() {
	ch, err := loader.Load("testdata/charts/app")
	if err != nil {
		fmt.Println(err)
		return
	}
	user := map[string]any{}
	if err := values.ParseSet("web.enabled=false,primary.size=3", user); err != nil {
		fmt.Println(err)
		return
	}
	resolved, vals, err := values.Resolve(ch, user)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range resolved.Dependencies() {
		fmt.Println("renders:", d.Name())
	}
	fmt.Println("primary.size:", vals["primary"].(map[string]any)["size"])
	// Unordered output:
	// renders: lib
	// renders: primary
	// primary.size: 3
}
