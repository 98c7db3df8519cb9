package localcluster

import (
	_ "embed"
	"os"
	"path/filepath"
)

// kwokConfig is the cluster's own kwok configuration: test pods complete.
//
//go:embed testpods.yaml
var kwokConfig string

// writeKwokConfig writes the cluster's own kwok configuration into the
// cluster's directory and returns its path.
func (c *Cluster) writeKwokConfig() (string, error) {
	path := filepath.Join(c.Dir, "kwok-barge.yaml")
	return path, os.WriteFile(path, []byte(kwokConfig), 0o644)
}
