package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/bargehq/barge/internal/helmbin"
	"github.com/bargehq/barge/internal/localregistry"
)

var helmVersions = []string{"helm-v3.22.0", "helm-v4.3.1"}

// helm is a reference helm binary with a home of its own.
type helm struct {
	bin, home, registryConfig string
	// path is helm's PATH (where it finds credential helpers).
	path string
}

func newHelm(t *testing.T, name string) *helm {
	t.Helper()
	home := t.TempDir()
	return &helm{bin: helmbin.Find(t, name), home: home, registryConfig: filepath.Join(home, "config", "registry", "config.json"), path: os.Getenv("PATH")}
}

// run runs helm with args (stdin as its input), and returns its output.
func (h *helm) run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, args...)
	cmd.Env = []string{
		"HOME=" + h.home,
		"PATH=" + h.path,
		"HELM_CONFIG_HOME=" + filepath.Join(h.home, "config"),
		"HELM_CACHE_HOME=" + filepath.Join(h.home, "cache"),
		"HELM_DATA_HOME=" + filepath.Join(h.home, "data"),
		"HELM_REGISTRY_CONFIG=" + h.registryConfig,
		"DOCKER_CONFIG=" + filepath.Join(h.home, "docker"),
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w\n%s", filepath.Base(h.bin), strings.Join(args, " "), err, out.String())
	}
	return out.String(), err
}

// helmPushed reads the reference and digest `helm push` prints.
func helmPushed(t *testing.T, out string) (ref, dgst string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "Pushed: "); ok {
			ref = v
		}
		if v, ok := strings.CutPrefix(line, "Digest: "); ok {
			dgst = v
		}
	}
	if ref == "" || dgst == "" {
		t.Fatalf("no Pushed: and Digest: lines in helm's output:\n%s", out)
	}
	return ref, dgst
}

// rawManifest fetches the manifest ref names from the plain registry, as
// served.
func rawManifest(t *testing.T, ref string) []byte {
	t.Helper()
	r, err := ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := remote.NewRepository(r.Name())
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	desc, rc, err := repo.FetchReference(ctxFor(t), r.oras().Reference)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signedChart packages the test chart as version, with a .prov beside it
// (not a real signature: neither barge nor helm checks it on push or pull).
func signedChart(t *testing.T, version string) (archive, prov string) {
	t.Helper()
	archive = packageChart(t, version)
	prov = archive + ".prov"
	body := "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nname: web\nversion: " + version + "\n...\nfiles:\n  web-" + version + ".tgz: sha256:0\n-----BEGIN PGP SIGNATURE-----\n\nnot a signature\n-----END PGP SIGNATURE-----\n"
	if err := os.WriteFile(prov, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return archive, prov
}

// TestHelmInterop checks, with helm v3.22 and v4.3, that helm pulls what
// barge pushes and barge pulls what helm pushes, provenance included, and
// that both push the same manifest for the same archive.
func TestHelmInterop(t *testing.T) {
	reg := startRegistry(t, localregistry.Options{})
	ctx := ctxFor(t)
	for _, name := range helmVersions {
		t.Run(name, func(t *testing.T) {
			h := newHelm(t, name)
			ns := strings.ReplaceAll(strings.TrimPrefix(name, "helm-"), ".", "-")
			c := newClient(t, Options{PlainHTTP: true})

			t.Run("helm pulls what barge pushes", func(t *testing.T) {
				chart, prov := signedChart(t, "1.2.3+build.1")
				p, err := c.Push(ctx, chart, "oci://"+reg.Host+"/barge-"+ns, PushOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if p.ProvDigest == "" {
					t.Error("the .prov beside the archive was not pushed")
				}
				dir := t.TempDir()
				out, err := h.run(t, "", "pull", "oci://"+reg.Host+"/barge-"+ns+"/web", "--version", "1.2.3+build.1", "--plain-http", "--prov", "-d", dir)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(out, "Digest: "+p.ManifestDigest) {
					t.Errorf("helm pulled another manifest than %s:\n%s", p.ManifestDigest, out)
				}
				if !bytes.Equal(readFile(t, filepath.Join(dir, "web-1.2.3+build.1.tgz")), readFile(t, chart)) {
					t.Error("helm's pulled archive differs from the one barge pushed")
				}
				if !bytes.Equal(readFile(t, filepath.Join(dir, "web-1.2.3+build.1.tgz.prov")), readFile(t, prov)) {
					t.Error("helm's pulled .prov differs from the one barge pushed")
				}
			})

			t.Run("barge pulls what helm pushes", func(t *testing.T) {
				chart, prov := signedChart(t, "2.0.0-rc.1")
				out, err := h.run(t, "", "push", chart, "oci://"+reg.Host+"/helm-"+ns, "--plain-http")
				if err != nil {
					t.Fatal(err)
				}
				ref, dgst := helmPushed(t, out)
				if want := reg.Host + "/helm-" + ns + "/web:2.0.0-rc.1"; ref != want {
					t.Errorf("helm pushed %s, want %s", ref, want)
				}
				p, err := c.Pull(ctx, "oci://"+reg.Host+"/helm-"+ns+"/web", PullOptions{Devel: true, Prov: true})
				if err != nil {
					t.Fatal(err)
				}
				if p.ManifestDigest != dgst || p.Version != "2.0.0-rc.1" {
					t.Errorf("barge pulled %s %s, helm pushed %s", p.Version, p.ManifestDigest, dgst)
				}
				if !bytes.Equal(readFile(t, p.Path), readFile(t, chart)) {
					t.Error("barge's pulled archive differs from the one helm pushed")
				}
				if p.ProvPath == "" || !bytes.Equal(readFile(t, p.ProvPath), readFile(t, prov)) {
					t.Errorf("barge's pulled .prov (%q) differs from the one helm pushed", p.ProvPath)
				}
			})

			t.Run("same manifest", func(t *testing.T) {
				chart, _ := signedChart(t, "3.1.4")
				out, err := h.run(t, "", "push", chart, "oci://"+reg.Host+"/cmp-helm-"+ns, "--plain-http")
				if err != nil {
					t.Fatal(err)
				}
				helmRef, helmDigest := helmPushed(t, out)
				p, err := c.Push(ctx, chart, "oci://"+reg.Host+"/cmp-barge-"+ns, PushOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var hm, bm ocispec.Manifest
				hb, bb := rawManifest(t, Scheme+helmRef), rawManifest(t, p.Ref.String())
				if err := json.Unmarshal(hb, &hm); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(bb, &bm); err != nil {
					t.Fatal(err)
				}
				if hm.Annotations[ocispec.AnnotationCreated] == "" {
					t.Errorf("helm's manifest has no created time: %s", hb)
				}
				created := func(m *ocispec.Manifest) { delete(m.Annotations, ocispec.AnnotationCreated) }
				created(&hm)
				created(&bm)
				if diff := cmp.Diff(hm, bm); diff != "" {
					t.Errorf("manifests differ, created time aside (-helm +barge):\n%s", diff)
				}
				// Both take the created time from the archive's
				// modification time: the manifests are the same bytes.
				if !bytes.Equal(hb, bb) || p.ManifestDigest != helmDigest {
					t.Errorf("manifests differ:\nhelm  %s %s\nbarge %s %s", helmDigest, hb, p.ManifestDigest, bb)
				}
				barge := fmt.Sprintf("Pushed: %s\nDigest: %s\n", p.Ref.Name(), p.ManifestDigest)
				want := strings.ReplaceAll(out, "/cmp-helm-", "/cmp-barge-")
				if barge != want {
					t.Errorf("barge's report differs from helm's (-helm +barge):\n%s", cmp.Diff(want, barge))
				}
			})
		})
	}
}

// TestHelmLoginInterop checks that a `helm registry login` serves barge,
// and that barge's Login serves `helm pull`, on a registry with htpasswd.
func TestHelmLoginInterop(t *testing.T) {
	reg := startRegistry(t, localregistry.Options{Users: map[string]string{testUser: testPassword}})
	ctx := ctxFor(t)
	chart := packageChart(t, "1.0.0")
	pusher := newClient(t, Options{PlainHTTP: true, Username: testUser, Password: testPassword})
	if _, err := pusher.Push(ctx, chart, "oci://"+reg.Host+"/charts", PushOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range helmVersions {
		t.Run(name, func(t *testing.T) {
			t.Run("helm login, barge pulls", func(t *testing.T) {
				h := newHelm(t, name)
				if out, err := h.run(t, testPassword+"\n", "registry", "login", reg.Host, "-u", testUser, "--password-stdin", "--plain-http"); err != nil {
					t.Fatal(err)
				} else if !strings.Contains(out, "Login Succeeded") {
					t.Errorf("helm registry login said:\n%s", out)
				}
				c := newClient(t, Options{PlainHTTP: true, CredentialsFile: h.registryConfig})
				if _, err := c.Pull(ctx, "oci://"+reg.Host+"/charts/web", PullOptions{Version: "1.0.0"}); err != nil {
					t.Fatalf("barge with helm's login: %v", err)
				}
				if err := c.Logout(ctx, reg.Host); err != nil {
					t.Fatal(err)
				}
				if _, err := h.run(t, "", "pull", "oci://"+reg.Host+"/charts/web", "--version", "1.0.0", "--plain-http", "-d", t.TempDir()); err == nil {
					t.Error("helm pulled after barge's logout")
				}
			})
			t.Run("barge login, helm pulls", func(t *testing.T) {
				h := newHelm(t, name)
				c := newClient(t, Options{PlainHTTP: true, CredentialsFile: h.registryConfig})
				if err := c.Login(ctx, reg.Host, testUser, testPassword); err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				if _, err := h.run(t, "", "pull", "oci://"+reg.Host+"/charts/web", "--version", "1.0.0", "--plain-http", "-d", dir); err != nil {
					t.Fatalf("helm with barge's login: %v", err)
				}
				if !bytes.Equal(readFile(t, filepath.Join(dir, "web-1.0.0.tgz")), readFile(t, chart)) {
					t.Error("helm's pulled archive differs")
				}
				out, err := h.run(t, "", "registry", "logout", reg.Host)
				if err != nil {
					t.Fatal(err)
				}
				_, err = newClient(t, Options{PlainHTTP: true, CredentialsFile: h.registryConfig}).Pull(ctx, "oci://"+reg.Host+"/charts/web:1.0.0", PullOptions{})
				if err == nil {
					t.Errorf("barge pulled after helm's logout (%s)", out)
				}
			})
		})
	}
}
