// Go verifiers of the interop matrix, each used as a relying party uses it.
//
//	interop-go verify CASES.json   keyfunc/v3 + golang-jwt/v5, and lestrrat-go/jwx/v3
//	interop-go oidc CASES.json     coreos/go-oidc/v3 discovery + ID token verification
//
// Both print {"libraries": [{name, version, results}]} on stdout.
//
// keyfunc: keyfunc.NewDefaultCtx(ctx, []string{jwksURL}) (fetches over HTTP, refreshes hourly
// and on an unknown kid, rate-limited), then jwt.Parse(token, k.Keyfunc, WithValidMethods([alg]),
// WithTimeFunc(corpus clock), WithAudience, WithExpirationRequired).
//
// jwx: a jwk.Cache (httprc) with the JWKS URL registered, its CachedSet given to
// jwt.Parse(token, WithKeySet(set), WithClock(corpus clock), WithAudience): the key is selected
// by kid and its "alg" (never the token's header) decides the algorithm.
//
// go-oidc: the document and the JWKS are served over TLS (a certificate made here for the
// issuer's host) at the very URLs the provider's document names; the client's HTTP transport
// dials the local server for every host and trusts that certificate, so go-oidc runs unchanged:
// NewProvider(ctx, issuer) fetches {issuer}/.well-known/openid-configuration and checks the
// issuer, Verifier(Config{ClientID, Now}) fetches jwks_uri and verifies ID tokens with the
// algorithms the document advertises (RS256 when it advertises none).
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"
)

type testCase struct {
	ID      string `json:"id"`
	Alg     string `json:"alg"`
	Case    string `json:"case"`
	Expect  string `json:"expect"`
	JWKSURL string `json:"jwks_url"`
	Token   string `json:"token"`
}

type oidcDocument struct {
	Issuer                 string `json:"issuer"`
	Content                string `json:"content"`
	ContentType            string `json:"contentType"`
	CacheControl           string `json:"cacheControl"`
	JWKSURL                string `json:"jwksUrl"`
	OpenIDConfigurationURL string `json:"openIdConfigurationUrl"`
}

type corpus struct {
	Clock       int64                   `json:"clock"`
	Audience    string                  `json:"audience"`
	Cases       []testCase              `json:"cases"`
	OIDCCases   []testCase              `json:"oidc_cases"`
	OIDC        map[string]oidcDocument `json:"oidc"`
	Deployments map[string]struct {
		JWKSFile string            `json:"jwks_file"`
		Headers  map[string]string `json:"headers"`
	} `json:"deployments"`
}

type result struct {
	ID     string `json:"id"`
	Mode   string `json:"mode"`
	Result string `json:"result"`
	Detail string `json:"detail"`
}

type library struct {
	Name    string         `json:"name"`
	Version string         `json:"version"`
	Results []result       `json:"results"`
	Notes   map[string]any `json:"notes,omitempty"`
}

func outcome(id, mode string, err error) result {
	if err != nil {
		d := err.Error()
		if len(d) > 300 {
			d = d[:300]
		}
		return result{ID: id, Mode: mode, Result: "refuse", Detail: d}
	}
	return result{ID: id, Mode: mode, Result: "accept"}
}

func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "?"
	}
	for _, dep := range info.Deps {
		if dep.Path == path {
			return dep.Version
		}
	}
	return "?"
}

func withKeyfunc(ctx context.Context, c corpus) library {
	clock := time.Unix(c.Clock, 0)
	keyfuncs := map[string]keyfunc.Keyfunc{}
	var results []result
	for _, tc := range c.Cases {
		k, ok := keyfuncs[tc.JWKSURL]
		if !ok {
			var err error
			k, err = keyfunc.NewDefaultCtx(ctx, []string{tc.JWKSURL})
			if err != nil {
				results = append(results, outcome(tc.ID, "default", fmt.Errorf("keyfunc: %w", err)))
				continue
			}
			keyfuncs[tc.JWKSURL] = k
		}
		_, err := jwt.Parse(tc.Token, k.Keyfunc,
			jwt.WithValidMethods([]string{tc.Alg}),
			jwt.WithTimeFunc(func() time.Time { return clock }),
			jwt.WithAudience(c.Audience),
			jwt.WithExpirationRequired(),
		)
		results = append(results, outcome(tc.ID, "default", err))
	}
	return library{
		Name:    "keyfunc + golang-jwt",
		Version: moduleVersion("github.com/MicahParks/keyfunc/v3") + " + " + moduleVersion("github.com/golang-jwt/jwt/v5"),
		Results: results,
	}
}

func withJwx(ctx context.Context, c corpus) library {
	clock := jwxjwt.ClockFunc(func() time.Time { return time.Unix(c.Clock, 0) })
	var results []result
	cache, err := jwk.NewCache(ctx, httprc.NewClient())
	if err != nil {
		for _, tc := range c.Cases {
			results = append(results, outcome(tc.ID, "default", err))
		}
		return library{Name: "jwx", Version: moduleVersion("github.com/lestrrat-go/jwx/v3"), Results: results}
	}
	sets := map[string]jwk.Set{}
	for _, tc := range c.Cases {
		set, ok := sets[tc.JWKSURL]
		if !ok {
			if err := cache.Register(ctx, tc.JWKSURL); err != nil {
				results = append(results, outcome(tc.ID, "default", fmt.Errorf("register: %w", err)))
				continue
			}
			cached, err := cache.CachedSet(tc.JWKSURL)
			if err != nil {
				results = append(results, outcome(tc.ID, "default", fmt.Errorf("cached set: %w", err)))
				continue
			}
			set = cached
			sets[tc.JWKSURL] = set
		}
		_, err := jwxjwt.Parse([]byte(tc.Token),
			jwxjwt.WithKeySet(set),
			jwxjwt.WithValidate(true),
			jwxjwt.WithClock(clock),
			jwxjwt.WithAudience(c.Audience),
		)
		results = append(results, outcome(tc.ID, "default", err))
	}
	return library{Name: "jwx", Version: moduleVersion("github.com/lestrrat-go/jwx/v3"), Results: results}
}

// resource is one object served by the local TLS server.
type resource struct {
	body         []byte
	contentType  string
	cacheControl string
}

// tlsSite serves resources by host and path over TLS on 127.0.0.1, with a self-signed
// certificate for the given hosts, and gives a client that reaches it for those hosts.
type tlsSite struct {
	server *http.Server
	client *http.Client
}

func newTLSSite(resources map[string]resource) (*tlsSite, error) {
	hosts := map[string]bool{}
	for key := range resources {
		hosts[strings.SplitN(key, "/", 2)[0]] = true
	}
	var names []string
	for h := range hosts {
		names = append(names, h)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &priv.PublicKey, priv)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.SplitN(r.Host, ":", 2)[0]
		res, ok := resources[host+r.URL.Path]
		if !ok || r.Method != http.MethodGet {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", res.contentType)
		if res.cacheControl != "" {
			w.Header().Set("Cache-Control", res.cacheControl)
		}
		_, _ = w.Write(res.body)
	})
	server := &http.Server{
		Handler:   handler,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}},
	}
	go func() { _ = server.ServeTLS(listener, "", "") }()
	address := listener.Addr().String()
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, address)
		},
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}
	return &tlsSite{server: server, client: &http.Client{Transport: transport, Timeout: 10 * time.Second}}, nil
}

func hostPath(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("%s is not an https URL", raw)
	}
	return u.Hostname() + u.EscapedPath(), nil
}

func withOIDC(ctx context.Context, c corpus) library {
	lib := library{Name: "go-oidc", Version: moduleVersion("github.com/coreos/go-oidc/v3"), Notes: map[string]any{}}
	now := func() time.Time { return time.Unix(c.Clock, 0) }
	byAlg := map[string][]testCase{}
	for _, tc := range c.OIDCCases {
		byAlg[tc.Alg] = append(byAlg[tc.Alg], tc)
	}
	for alg, cases := range byAlg {
		fail := func(err error) {
			for _, tc := range cases {
				for _, mode := range []string{"discovery", "explicit-algs"} {
					lib.Results = append(lib.Results, outcome(tc.ID, mode, err))
				}
			}
		}
		doc, ok := c.OIDC[alg]
		dep, ok2 := c.Deployments[alg]
		if !ok || !ok2 {
			fail(fmt.Errorf("no document or JWKS for %s", alg))
			continue
		}
		var meta struct {
			Issuer  string   `json:"issuer"`
			JWKSURI string   `json:"jwks_uri"`
			Algs    []string `json:"id_token_signing_alg_values_supported"`
		}
		if err := json.Unmarshal([]byte(doc.Content), &meta); err != nil {
			fail(fmt.Errorf("document: %w", err))
			continue
		}
		jwksBody, err := os.ReadFile(dep.JWKSFile)
		if err != nil {
			fail(err)
			continue
		}
		discoveryKey, err1 := hostPath(strings.TrimSuffix(doc.Issuer, "/") + "/.well-known/openid-configuration")
		jwksKey, err2 := hostPath(meta.JWKSURI)
		if err1 != nil || err2 != nil {
			fail(fmt.Errorf("urls: %v %v", err1, err2))
			continue
		}
		site, err := newTLSSite(map[string]resource{
			discoveryKey: {body: []byte(doc.Content), contentType: doc.ContentType, cacheControl: doc.CacheControl},
			jwksKey:      {body: jwksBody, contentType: dep.Headers["Content-Type"], cacheControl: dep.Headers["Cache-Control"]},
		})
		if err != nil {
			fail(err)
			continue
		}
		cctx := oidc.ClientContext(ctx, site.client)
		provider, err := oidc.NewProvider(cctx, doc.Issuer)
		lib.Results = append(lib.Results, outcome(alg+"/oidc-discovery", "discovery", err))
		// An issuer that differs from the document's by a trailing slash: a strict client refuses.
		_, errSlash := oidc.NewProvider(cctx, doc.Issuer+"/")
		lib.Results = append(lib.Results, outcome(alg+"/oidc-issuer-trailing-slash", "discovery", errSlash))
		if err != nil {
			fail(err)
			_ = site.server.Close()
			continue
		}
		var discovered struct {
			JWKSURI       string   `json:"jwks_uri"`
			Algs          []string `json:"id_token_signing_alg_values_supported"`
			ResponseTypes []string `json:"response_types_supported"`
			SubjectTypes  []string `json:"subject_types_supported"`
		}
		_ = provider.Claims(&discovered)
		// OpenID Connect Discovery 1.0 §3: id_token_signing_alg_values_supported is REQUIRED and
		// must name the algorithm the deployment signs with (and only it: one key signs at a
		// time); response_types_supported and subject_types_supported are REQUIRED too.
		var errAlgs, errRequired error
		if len(discovered.Algs) != 1 || discovered.Algs[0] != alg {
			errAlgs = fmt.Errorf("id_token_signing_alg_values_supported is %v, the deployment signs with %s", discovered.Algs, alg)
		}
		if len(discovered.ResponseTypes) == 0 || len(discovered.SubjectTypes) == 0 {
			errRequired = fmt.Errorf("response_types_supported %v, subject_types_supported %v: both are REQUIRED", discovered.ResponseTypes, discovered.SubjectTypes)
		}
		lib.Results = append(lib.Results, outcome(alg+"/oidc-signing-algs", "discovery", errAlgs))
		lib.Results = append(lib.Results, outcome(alg+"/oidc-required-members", "discovery", errRequired))
		// The client derives the discovery URL from the issuer: it must be where the provider
		// publishes the document, and jwks_uri must be the component's jwksUrl.
		var errURL, errJWKS error
		if want := strings.TrimSuffix(doc.Issuer, "/") + "/.well-known/openid-configuration"; want != doc.OpenIDConfigurationURL {
			errURL = fmt.Errorf("{issuer}/.well-known/openid-configuration is %s, the provider publishes %s", want, doc.OpenIDConfigurationURL)
		}
		if discovered.JWKSURI != doc.JWKSURL {
			errJWKS = fmt.Errorf("jwks_uri %q is not the component's jwksUrl %q", discovered.JWKSURI, doc.JWKSURL)
		}
		lib.Results = append(lib.Results, outcome(alg+"/oidc-discovery-url", "discovery", errURL))
		lib.Results = append(lib.Results, outcome(alg+"/oidc-jwks-uri", "discovery", errJWKS))
		lib.Notes[alg] = map[string]any{
			"issuer":                                doc.Issuer,
			"jwks_uri":                              discovered.JWKSURI,
			"id_token_signing_alg_values_supported": discovered.Algs,
		}
		verifiers := map[string]*oidc.IDTokenVerifier{
			"discovery":     provider.Verifier(&oidc.Config{ClientID: c.Audience, Now: now}),
			"explicit-algs": provider.Verifier(&oidc.Config{ClientID: c.Audience, Now: now, SupportedSigningAlgs: []string{alg}}),
		}
		for _, tc := range cases {
			for _, mode := range []string{"discovery", "explicit-algs"} {
				_, err := verifiers[mode].Verify(cctx, tc.Token)
				lib.Results = append(lib.Results, outcome(tc.ID, mode, err))
			}
		}
		_ = site.server.Close()
	}
	return lib
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: interop-go verify|oidc CASES.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var c corpus
	if err := json.Unmarshal(raw, &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var libs []library
	switch os.Args[1] {
	case "verify":
		libs = []library{withKeyfunc(ctx, c), withJwx(ctx, c)}
	case "oidc":
		libs = []library{withOIDC(ctx, c)}
	default:
		fmt.Fprintln(os.Stderr, "usage: interop-go verify|oidc CASES.json")
		os.Exit(2)
	}
	out, _ := json.Marshal(map[string]any{"libraries": libs})
	fmt.Println(string(out))
}
