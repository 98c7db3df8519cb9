package getter

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestDownloaders(t *testing.T) {
	serve := func(body string) Downloader {
		return func(_ context.Context, req Request, limit int64, w io.Writer) error {
			if req.Repo.CertFile != "cert.pem" {
				return errors.New("no cert file")
			}
			_, err := io.Copy(w, io.LimitReader(strings.NewReader(body), limit+1))
			return err
		}
	}
	c := &Client{Downloaders: map[string]Downloader{
		"test": serve("a: 1\n"),
		"big":  serve(strings.Repeat("x", int(DefaultMaxValuesSize)+10)),
		"broken": func(context.Context, Request, int64, io.Writer) error {
			return errors.New(`plugin "b" downloader exited with status 3`)
		},
	}}
	tests := []struct {
		name, url, want, wantErr string
		is                       error
	}{
		{name: "served", url: "test://values.yaml", want: "a: 1\n"},
		{name: "scheme in upper case", url: "TEST://values.yaml", want: "a: 1\n"},
		{name: "over the limit", url: "big://values.yaml", is: ErrTooLarge, wantErr: `GET big://values.yaml: too large: the downloader's output is over the 16 MiB limit for a values file`},
		{name: "plugin fails", url: "broken://v.yaml", wantErr: `GET broken://v.yaml: plugin "b" downloader exited with status 3; see the downloader plugin's messages above`},
		{name: "unknown scheme", url: "s3://b/v.yaml", wantErr: `unsupported URL scheme "s3"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			resp, err := c.Get(context.Background(), Request{URL: tt.url, Kind: KindValues, Repo: Repo{CertFile: "cert.pem"}}, &b)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || (tt.is != nil && !errors.Is(err, tt.is)) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want || resp.Size != int64(len(tt.want)) {
				t.Fatalf("got %q (size %d), want %q", b.String(), resp.Size, tt.want)
			}
		})
	}
}
