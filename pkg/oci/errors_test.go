package oci

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/bargehq/barge/internal/localregistry"
)

// rawLayer is a blob for pushRaw.
type rawLayer struct {
	mediaType string
	data      []byte
}

// pushRaw pushes to the plain registry reg, as repository/name:tag, a
// manifest of manifestType with a config of configType and the given
// layers, with oras-go directly, and returns the manifest's digest.
func pushRaw(t *testing.T, reg *localregistry.Registry, repository, tag, manifestType, configType string, layers ...rawLayer) string {
	t.Helper()
	ctx := ctxFor(t)
	repo, err := remote.NewRepository(reg.Host + "/" + repository)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	push := func(mt string, data []byte) ocispec.Descriptor {
		d := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(data), Size: int64(len(data))}
		if err := repo.Push(ctx, d, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		return d
	}
	var body []byte
	if manifestType == ocispec.MediaTypeImageIndex {
		child := pushRaw(t, reg, repository, tag+"-child", ocispec.MediaTypeImageManifest, configType, layers...)
		// The registry checks the child's size: resolve its descriptor.
		desc, err := repo.Resolve(ctx, child)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: manifestType, Manifests: []ocispec.Descriptor{desc}})
	} else {
		m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: manifestType, Config: push(configType, []byte(`{"name":"web","version":"1.0.0"}`))}
		for _, l := range layers {
			m.Layers = append(m.Layers, push(l.mediaType, l.data))
		}
		body, _ = json.Marshal(m)
	}
	d := ocispec.Descriptor{MediaType: manifestType, Digest: digest.FromBytes(body), Size: int64(len(body))}
	if err := repo.PushReference(ctx, d, bytes.NewReader(body), tag); err != nil {
		t.Fatal(err)
	}
	return d.Digest.String()
}

// blobFile is where reg stores the blob of digest d.
func blobFile(reg *localregistry.Registry, d string) string {
	hex := strings.TrimPrefix(d, "sha256:")
	return filepath.Join(reg.StorageDir, "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
}

// wantError checks that err wraps kind, is one line starting with ref, and
// says each of says.
func wantError(t *testing.T, err, kind error, ref string, says ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", kind)
	}
	msg := err.Error()
	if !errors.Is(err, kind) {
		t.Errorf("error %q does not wrap %v", msg, kind)
	}
	if !strings.HasPrefix(msg, ref+": ") {
		t.Errorf("error %q does not start with the reference %q", msg, ref)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is not one line", msg)
	}
	for _, s := range says {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not say %q", msg, s)
		}
	}
}

func TestPullErrors(t *testing.T) {
	reg := startRegistry(t, localregistry.Options{})
	ctx := ctxFor(t)
	pusher := newClient(t, Options{PlainHTTP: true})
	repo := "oci://" + reg.Host + "/charts"
	pushed, err := pusher.Push(ctx, packageChart(t, "1.0.0"), repo, PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 21<<20)
	rand.Read(big)
	pushRaw(t, reg, "charts/huge", "1.0.0", ocispec.MediaTypeImageManifest, ConfigMediaType, rawLayer{ChartLayerMediaType, big})
	pushRaw(t, reg, "images/nginx", "1.27", ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageConfig, rawLayer{ocispec.MediaTypeImageLayerGzip, []byte("not a chart")})
	pushRaw(t, reg, "images/multi", "1.27", ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageConfig, rawLayer{ocispec.MediaTypeImageLayerGzip, []byte("not a chart")})
	pushRaw(t, reg, "charts/nolayer", "1.0.0", ocispec.MediaTypeImageManifest, ConfigMediaType)
	const zero = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

	tests := []struct {
		name, ref string
		opts      Options
		pull      PullOptions
		kind      error
		says      []string
	}{
		{name: "unknown tag", ref: repo + "/web:9.9.9", kind: ErrNotFound, says: []string{"no tag 9.9.9 in the repository"}},
		{name: "unknown digest", ref: repo + "/web@" + zero, kind: ErrNotFound, says: []string{"no manifest has this digest"}},
		{name: "unknown repository", ref: repo + "/nope", kind: ErrNotFound},
		{name: "no version matches", ref: repo + "/web", pull: PullOptions{Version: "^2"}, kind: ErrNotFound, says: []string{`no version matches "^2" (newest: 1.0.0)`}},
		{name: "tag and version differ", ref: repo + "/web:1.0.0", pull: PullOptions{Version: "1.0.1"}, kind: nil, says: []string{"the reference's tag 1.0.0 and --version 1.0.1 differ"}},
		{name: "digest of another version", ref: repo + "/web@" + pushed.ManifestDigest, pull: PullOptions{Version: "2.0.0"}, says: []string{"the digest is version 1.0.0 of chart web, not 2.0.0"}},
		{name: "image", ref: "oci://" + reg.Host + "/images/nginx:1.27", kind: ErrNotChart, says: []string{"its config is application/vnd.oci.image.config.v1+json (a container image)", "name a chart pushed with"}},
		{name: "image index", ref: "oci://" + reg.Host + "/images/multi:1.27", kind: ErrNotChart, says: []string{"an image index"}},
		{name: "no chart layer", ref: repo + "/nolayer:1.0.0", kind: ErrNotChart, says: []string{"0 chart layers"}},
		{name: "layer far too large", ref: repo + "/huge:1.0.0", kind: ErrTooLarge, says: []string{"the chart layer is 22020096 bytes, over the limit of 20971520", "it was not downloaded"}},
		{name: "layer over a lower limit", ref: repo + "/web:1.0.0", opts: Options{Limits: Limits{Chart: 100}}, kind: ErrTooLarge, says: []string{"over the limit of 100"}},
		{name: "manifest over its limit", ref: repo + "/web:1.0.0", opts: Options{Limits: Limits{Manifest: 100}}, kind: ErrTooLarge, says: []string{"the manifest is"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.PlainHTTP = true
			c := newClient(t, tt.opts)
			_, err := c.Pull(ctx, tt.ref, tt.pull)
			t.Log(err)
			if tt.kind == nil {
				if err == nil || !strings.HasPrefix(err.Error(), tt.ref+": ") {
					t.Fatalf("error = %v, want one naming %s", err, tt.ref)
				}
				for _, s := range tt.says {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
			} else {
				wantError(t, err, tt.kind, tt.ref, tt.says...)
			}
			if n := c.downloads(); n != 0 {
				t.Errorf("%d layers downloaded", n)
			}
			if files := c.cacheFiles(t); len(files) != 0 {
				t.Errorf("cache holds %v after a refused pull", files)
			}
		})
	}

	t.Run("layer digest mismatch", func(t *testing.T) {
		// The registry serves what its storage holds: change a byte of the
		// chart layer there, keeping its size.
		f := blobFile(reg, pushed.ChartDigest)
		orig, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(orig)
		bad[len(bad)/2] ^= 0xff
		if err := os.WriteFile(f, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.WriteFile(f, orig, 0o644) })
		c := newClient(t, Options{PlainHTTP: true})
		ref := repo + "/web:1.0.0"
		_, err = c.Pull(ctx, ref, PullOptions{})
		t.Log(err)
		wantError(t, err, ErrDigestMismatch, ref, "not "+pushed.ChartDigest+" as the manifest says", "nothing was kept")
		if files := c.cacheFiles(t); len(files) != 0 {
			t.Errorf("cache holds %v after a digest mismatch", files)
		}
	})

	t.Run("damaged cache file", func(t *testing.T) {
		cache := t.TempDir()
		p, err := newClient(t, Options{PlainHTTP: true, CacheDir: cache}).Pull(ctx, repo+"/web:1.0.0", PullOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p.Path, []byte("damaged"), 0o644); err != nil {
			t.Fatal(err)
		}
		c := newClient(t, Options{PlainHTTP: true, CacheDir: cache})
		p2, err := c.Pull(ctx, repo+"/web:1.0.0", PullOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if c.downloads() != 1 || fileSHA256(t, p2.Path) != pushed.ChartDigest {
			t.Errorf("a damaged cache file was not downloaded again (%d downloads)", c.downloads())
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		ref := "oci://" + addr + "/charts/web:1.0.0"
		_, err = newClient(t, Options{PlainHTTP: true}).Pull(ctx, ref, PullOptions{})
		t.Log(err)
		wantError(t, err, ErrUnreachable, ref, "connection refused", "check the host and port")
	})

	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := newClient(t, Options{PlainHTTP: true}).Pull(cctx, repo+"/web:1.0.0", PullOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	})
}
