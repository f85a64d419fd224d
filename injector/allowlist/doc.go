// Package allowlist decides whether a Fig API URI, a Key Vault URL, a Key
// Vault secret URI or a vault host is one the cluster allows. It is the one
// place these rules live: the webhook applies them at admission (to the URIs
// a pod names in annotations or in its ConfigMap config), and the agent
// applies them again at run time (to a configuration loaded or reloaded after
// admission, and to every Key Vault reference in a Fig value), so that a pod
// cannot have its agent send the Fig client secret or its Azure token to
// another server.
//
// Every URI passes CheckURL and then the rule for its kind:
//
//  1. Shape: absolute, no opaque form, no user info (user@host), no query or
//     fragment, no "%" escapes, backslashes or "." / ".." segments in the path.
//  2. Scheme: https; http only with List.AllowHTTP (Fig URIs only).
//  3. Host: lower-case ASCII letters, digits, '-' and '.' labels; no
//     punycode ("xn--") labels, no trailing dot, and a last label that is not
//     numeric (glibc resolves "2130706433" or "127.1" to an address). IP
//     literals only with List.AllowIPLiterals. A port, if any, is 1-65535
//     written without leading zeros.
//  4. Fig URIs: scheme, host and port equal to an entry's, and the path the
//     entry's path or below it (on a segment boundary: /fig does not allow
//     /figx).
//  5. Key Vault URLs and secret URIs: the host ends with "."+suffix for an
//     allowed DNS suffix (an IP literal must equal an entry). The port is not
//     compared.
//
// The package does no I/O and holds no state: a List is a value.
package allowlist
