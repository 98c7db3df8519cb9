package localcluster

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ToolsDir returns the directory holding the binaries hack/tools/build.sh
// builds: $BARGE_TOOLS_BIN when it is set, else .cache/bin at the root of
// barge's repository, found from the working directory. Other packages that
// start a built tool (the local OCI registry, say) find it here.
func ToolsDir() (string, error) {
	if dir := os.Getenv("BARGE_TOOLS_BIN"); dir != "" {
		return filepath.Abs(dir)
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".cache", "bin"), nil
}

// ToolVersion returns the version that hack/tools/versions.env, at the root
// of barge's repository, pins under key ("REGISTRY_VERSION", say). A key
// that is missing or empty is an error naming the file.
func ToolVersion(key string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, "hack", "tools", "versions.env")
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && k == key && v != "" {
			return v, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return "", fmt.Errorf("%s: %s is not set", path, key)
}
