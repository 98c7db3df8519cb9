package archive_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/bargehq/barge/pkg/chart/archive"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// Package a chart directory as `helm package --version` does, then load the
// archive back with the default limits.
func ExamplePackage() {
	out, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(out)

	path, err := archive.Package("testdata/charts/umbrella", out, archive.PackageOptions{Version: "1.0.0"})
	if err != nil {
		log.Fatal(err)
	}
	ch, err := archive.LoadFile(path, archive.DefaultLimits())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(path))
	fmt.Println(ch.Name(), ch.Metadata.Version, len(ch.Dependencies()), "subcharts")
	// Output:
	// umbrella-1.0.0.tgz
	// umbrella 1.0.0 2 subcharts
}

// Write a chart loaded from a directory to memory and read its files back.
func ExampleRead() {
	ch, err := loader.LoadDir("testdata/charts/umbrella/charts/sub")
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := archive.Write(&buf, ch); err != nil {
		log.Fatal(err)
	}
	files, err := archive.Read(&buf, "sub-0.1.0.tgz", archive.Limits{})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(f.Name)
	}
	// Output:
	// Chart.yaml
	// templates/configmap.yaml
	// values.yaml
}

// Unpack an archive as `helm pull --untar` does, into a directory named
// after the chart.
func ExampleUntar() {
	dest, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dest)

	f, err := os.Open("testdata/charts/umbrella/charts/packed-0.2.0.tgz")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	dir, err := archive.Untar(f, f.Name(), dest, archive.Limits{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(dir))
	// Output:
	// packed
}
