package oci

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// RegistryHost returns the registry's host[:port] in s, as Helm's registry
// login and logout read their argument: a scheme (oci://, https://,
// http://) and a path are dropped. An error names s.
func RegistryHost(s string) (string, error) {
	host := strings.TrimSpace(s)
	for _, p := range []string{"oci://", "https://", "http://"} {
		host = strings.TrimPrefix(host, p)
	}
	host, _, _ = strings.Cut(host, "/")
	if err := (registry.Reference{Registry: host}).ValidateRegistry(); err != nil || host == "" {
		return "", fmt.Errorf("%w %q: not a registry host; give HOST[:PORT], as in registry.example.com or 127.0.0.1:5000", ErrInvalidReference, s)
	}
	return host, nil
}

// credentialKey is the key Helm stores a registry's credentials under.
func credentialKey(host string) string {
	return credentials.ServerAddressFromHostname(credentials.ServerAddressFromRegistry(host))
}

// Login checks username and password against the registry at host (see
// RegistryHost) with the Client's TLS and plain HTTP settings, then stores
// them in Options.CredentialsFile, as `helm registry login` does: in the
// file, or in the Docker credential helper it names. Credentials the
// registry refuses are an *Error wrapping ErrUnauthorized, and are not
// stored.
func (c *Client) Login(ctx context.Context, host, username, password string) error {
	h, err := RegistryHost(host)
	if err != nil {
		return err
	}
	if h != strings.TrimSpace(host) {
		c.log.Warn("registries are named without scheme or path", "given", host, "using", h)
	}
	if c.opts.CredentialsFile == "" {
		return &Error{Ref: h, Err: errors.New("login: no registry credentials file"), Hint: "set HELM_REGISTRY_CONFIG"}
	}
	if username == "" || password == "" {
		return &Error{Ref: h, Err: errors.New("login: a username and a password are needed"), Hint: "pass --username and --password (or --password-stdin)"}
	}
	cred := auth.Credential{Username: username, Password: password}
	reg, err := remote.NewRegistry(h)
	if err != nil {
		return &Error{Ref: h, Err: fmt.Errorf("%w: %v", ErrInvalidReference, err)}
	}
	reg.PlainHTTP = c.opts.PlainHTTP
	ac := *c.auth
	ac.Cache = nil
	ac.Credential = auth.StaticCredential(h, cred)
	reg.Client = &ac
	if err := reg.Ping(ctx); err != nil {
		err = classify(ctx, h, h, true, err)
		var e *Error
		if errors.Is(err, ErrUnauthorized) && errors.As(err, &e) {
			e.Hint = "check the username and password"
		}
		return err
	}
	store, err := credentials.NewStore(c.opts.CredentialsFile, credentials.StoreOptions{AllowPlaintextPut: true, DetectDefaultNativeStore: true})
	if err != nil {
		return fmt.Errorf("registry credentials file %s: %w; fix or remove it", c.opts.CredentialsFile, err)
	}
	if err := store.Put(ctx, credentialKey(h), cred); err != nil {
		return fmt.Errorf("registry credentials file %s: store the credentials of %s: %w", c.opts.CredentialsFile, h, err)
	}
	return nil
}

// Logout removes the credentials stored for the registry at host from
// Options.CredentialsFile (or the credential helper it names), as `helm
// registry logout` does. A registry with none stored is an *Error wrapping
// ErrNotLoggedIn.
func (c *Client) Logout(ctx context.Context, host string) error {
	h, err := RegistryHost(host)
	if err != nil {
		return err
	}
	if c.opts.CredentialsFile == "" {
		return &Error{Ref: h, Err: errors.New("logout: no registry credentials file"), Hint: "set HELM_REGISTRY_CONFIG"}
	}
	store, err := credentials.NewStore(c.opts.CredentialsFile, credentials.StoreOptions{AllowPlaintextPut: true, DetectDefaultNativeStore: true})
	if err != nil {
		return fmt.Errorf("registry credentials file %s: %w; fix or remove it", c.opts.CredentialsFile, err)
	}
	cred, err := store.Get(ctx, credentialKey(h))
	if err != nil {
		return fmt.Errorf("registry credentials file %s: read the credentials of %s: %w", c.opts.CredentialsFile, h, err)
	}
	if cred == auth.EmptyCredential {
		return &Error{Ref: h, Err: fmt.Errorf("logout: %w (no credentials for it in %s)", ErrNotLoggedIn, c.opts.CredentialsFile)}
	}
	if err := credentials.Logout(ctx, store, credentialKey(h)); err != nil {
		return fmt.Errorf("registry credentials file %s: %w", c.opts.CredentialsFile, err)
	}
	return nil
}
