package getter

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
)

// tlsKey is what makes two repositories need different transports.
type tlsKey struct {
	certFile, keyFile, caFile string
	insecure                  bool
}

// transport returns the transport for r's TLS settings, made once per
// Client and settings so that connections are reused.
func (c *Client) transport(r Repo) (*http.Transport, error) {
	key := tlsKey{r.CertFile, r.KeyFile, r.CAFile, r.InsecureSkipTLSVerify}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.transports[key]; ok {
		return t, nil
	}
	cfg, err := tlsConfig(r)
	if err != nil {
		return nil, err
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	// An archive must arrive as served; Get asks for compression itself
	// where it may (an index).
	t.DisableCompression = true
	t.TLSClientConfig = cfg
	t.ForceAttemptHTTP2 = true
	if c.transports == nil {
		c.transports = map[tlsKey]*http.Transport{}
	}
	c.transports[key] = t
	return t, nil
}

// CloseIdleConnections closes the connections the Client keeps open for
// later requests.
func (c *Client) CloseIdleConnections() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.transports {
		t.CloseIdleConnections()
	}
}

func tlsConfig(r Repo) (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: r.InsecureSkipTLSVerify} //nolint:gosec // the user asked for it
	switch {
	case r.CertFile != "" && r.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(r.CertFile, r.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: client certificate --cert-file %s / --key-file %s: %w", ErrTLS, r.CertFile, r.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case r.CertFile != "":
		return nil, fmt.Errorf("%w: --cert-file %s without --key-file: pass the certificate's key too", ErrTLS, r.CertFile)
	case r.KeyFile != "":
		return nil, fmt.Errorf("%w: --key-file %s without --cert-file: pass the certificate too", ErrTLS, r.KeyFile)
	}
	if r.CAFile != "" && !r.InsecureSkipTLSVerify {
		b, err := os.ReadFile(r.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: --ca-file: %w", ErrTLS, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%w: --ca-file %s: %w", ErrTLS, r.CAFile, errors.New("no PEM certificate in the file"))
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
