package oci_test

import (
	"context"
	"fmt"
	"os"

	"github.com/bargehq/barge/pkg/oci"
	"github.com/bargehq/barge/pkg/repo"
)

func ExampleParseReference() {
	r, err := oci.ParseReference("oci://registry.example.com:5000/charts/web:1.2.3+build.1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Registry)
	fmt.Println(r.Repository)
	fmt.Println(r.Tag, oci.VersionOf(r.Tag))
	fmt.Println(r.Chart())

	_, err = oci.ParseReference("registry.example.com/charts/web")
	fmt.Println(err)
	// Output:
	// registry.example.com:5000
	// charts/web
	// 1.2.3_build.1 1.2.3+build.1
	// web
	// invalid OCI reference "registry.example.com/charts/web": it must start with oci://, as in oci://registry.example.com/charts/web
}

// A command wires a Client from its flags and Helm's files, then pushes and
// pulls as `helm push` and `helm pull` do.
func ExampleClient() {
	ctx := context.Background()
	c, err := oci.New(oci.Options{
		PlainHTTP:       true, // --plain-http
		CredentialsFile: repo.RegistryConfigFromEnv(os.Getenv),
		DockerConfig:    oci.DockerConfigFromEnv(os.Getenv),
		CacheDir:        repo.PathsFromEnv(os.Getenv).ArchiveDir(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		return
	}
	pushed, err := c.Push(ctx, "web-1.2.3.tgz", "oci://127.0.0.1:5000/charts", oci.PushOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		return
	}
	fmt.Printf("Pushed: %s\nDigest: %s\n", pushed.Ref.Name(), pushed.ManifestDigest)

	versions, err := c.Versions(ctx, "oci://127.0.0.1:5000/charts/web")
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		return
	}
	for _, v := range versions {
		fmt.Println(v)
	}

	pulled, err := c.Pull(ctx, "oci://127.0.0.1:5000/charts/web", oci.PullOptions{Version: "^1.2"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		return
	}
	fmt.Printf("Pulled: %s\nDigest: %s\n", pulled.Ref.Name(), pulled.ManifestDigest)
	fmt.Println("archive:", pulled.Path)
}
