package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/bargehq/barge/pkg/kubeschema/wire"
)

// kubernetesVersion is the release whose swagger.json is read by default.
const kubernetesVersion = "v1.37.2"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kubeschema:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("kubeschema", flag.ContinueOnError)
	swagger := fs.String("swagger", "", "path of Kubernetes' api/openapi-spec/swagger.json (default: the kubernetes "+kubernetesVersion+" module in GOMODCACHE)")
	out := fs.String("out", ".", "directory of package kubeschema")
	release := fs.String("version", kubernetesVersion, "the Kubernetes release the swagger.json is of (its info.version says \"unversioned\")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *swagger == "" {
		cache, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			return fmt.Errorf("go env GOMODCACHE: %w", err)
		}
		*swagger = filepath.Join(strings.TrimSpace(string(cache)), "k8s.io", "kubernetes@"+kubernetesVersion, "api", "openapi-spec", "swagger.json")
	}
	raw, err := os.ReadFile(*swagger)
	if err != nil {
		return fmt.Errorf("%w (fetch it with: go mod download k8s.io/kubernetes@%s)", err, kubernetesVersion)
	}
	var doc swaggerDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", *swagger, err)
	}
	version, err := minorVersion(*release)
	if err != nil {
		return err
	}
	ws, err := compact(doc, version)
	if err != nil {
		return err
	}
	data, err := encode(ws)
	if err != nil {
		return err
	}
	name := filepath.Join(*out, "data", version+".json.gz")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d nodes, %d kinds, %d bytes\n", name, len(ws.Nodes), len(ws.Kinds), len(data))

	src, err := lifecycleSource()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*out, "lifecycle_gen.go"), src, 0o644)
}

// minorVersion turns a release ("v1.37.2") into its minor version ("v1.37").
func minorVersion(v string) (string, error) {
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	if len(parts) < 2 {
		return "", fmt.Errorf("version %q: want a Kubernetes release such as v1.37.2", v)
	}
	return "v" + parts[0] + "." + parts[1], nil
}

// encode writes the schema as gzipped JSON, deterministically.
func encode(ws *wire.Schema) ([]byte, error) {
	js, err := json.Marshal(ws)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(js); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
