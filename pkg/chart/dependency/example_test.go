package dependency_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bargehq/barge/pkg/chart/dependency"
)

// ExampleUpdate packages a chart's file:// dependency into its charts/
// directory and locks it. Repository dependencies need Options.Resolver.
func ExampleUpdate() {
	root, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	files := map[string]string{
		"lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 0.3.1\ntype: library\n",
		"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- name: lib\n  version: ~0.3.0\n  repository: file://../lib\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Println(err)
			return
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			fmt.Println(err)
			return
		}
	}
	app := filepath.Join(root, "app")
	if err := dependency.Update(context.Background(), app, dependency.Options{Out: os.Stdout}); err != nil {
		fmt.Println(err)
		return
	}
	archives, _ := filepath.Glob(filepath.Join(app, "charts", "*.tgz"))
	for _, a := range archives {
		fmt.Println(filepath.Base(a))
	}
	_, err = os.Stat(filepath.Join(app, "Chart.lock"))
	fmt.Println("locked:", err == nil)
	// Output:
	// Saving 1 charts
	// Deleting outdated charts
	// lib-0.3.1.tgz
	// locked: true
}
