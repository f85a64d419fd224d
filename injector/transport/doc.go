// Package transport builds the one *http.Client that fig-injector uses for
// every outbound call (Fig API, Entra ID, Key Vault). Centralising it keeps
// proxy, trust, timeout and metrics behaviour identical for all sources:
//
//   - HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured (http.ProxyFromEnvironment),
//     as SPEC §2.3 requires of all outbound HTTP;
//   - extra CAs (tls.caFile) are trusted in addition to the system roots, so a
//     private CA or the dev emulators' CA works without replacing the roots;
//   - TLS 1.2 is the minimum; HTTP/2 is negotiated when the server offers it;
//   - connections are pooled and reused, with bounded dial, handshake and
//     response-header timeouts, so a hung peer cannot stall a poll forever;
//   - redirects are refused, a 3xx being an error naming the hop
//     (RefuseRedirects); the Fig client opts in to same-origin ones
//     (SameOriginRedirects);
//   - response bodies are bounded (MaxResponseBytes), so no server can make
//     the agent buffer more than its memory allows;
//   - an optional Observe hook reports each request by host, status and
//     duration for the metrics, never by path (paths carry secret names).
//
// The package imports no source package: sources take the client it returns.
package transport
