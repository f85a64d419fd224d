// Package merge combines what the sources delivered into the one set of
// configuration entries that the output encoders write (SPEC §2.1). It is
// pure: it is given values and returns values, a conflict report and the
// list of unresolved Key Vault references. It never fetches, sleeps, logs or
// reads the clock, so the same Input always gives the same Result.
//
// # Rules
//
//  1. Keys compare case-insensitively, as .NET's IConfiguration does
//     (StringComparer.OrdinalIgnoreCase: each rune mapped to its simple upper
//     case). The key is written as the winning entry spelled it.
//  2. A Fig value that is exactly a Key Vault reference (IsReference, after
//     trimming spaces) is replaced by the secret the caller resolved for that
//     reference text (Input.Resolved), and the entry becomes Secret. If the
//     caller could not resolve it, the key is left out and listed in
//     Result.Unresolved, unless a later Fig entry or a higher origin sets the
//     same key (then the reference would not reach the file anyway).
//  3. Precedence, low to high: Fig < prefix secrets < explicit mappings.
//  4. Within one origin the last entry wins and nothing is reported (Fig
//     writes a nested setting under its simplified key too, so a simplified
//     key may repeat another setting's key; a .NET provider's key dictionary
//     also keeps the later value).
//  5. A key set by two or more different origins is reported once in
//     Result.Conflicts, by key and origins, never by value.
//  6. Entries from Key Vault (prefix and explicit) are always Secret.
//  7. Result.Entries, Result.Conflicts and Result.Unresolved are sorted by key,
//     case-insensitive ordinal (keys are unique case-insensitively after a
//     merge, so no tie-break is needed), and the output bytes do not depend on
//     the order the sources delivered.
//
// # Worked table
//
// One row per rule. "ref" is a Fig value "@Microsoft.KeyVault(…)"; "ref✓"
// is one the caller resolved to "s3cret", "ref✗" one it could not; "x+ref"
// is text followed by a reference.
//
//	key(s) and values by origin                          result entry                 reported
//	Fig              prefix           explicit
//	A=fig            -                -                  A=fig (fig)                  -
//	A=fig            A=pfx            -                  A=pfx (keyvault-prefix)      conflict A [fig keyvault-prefix]
//	A=fig            A=pfx            A=exp              A=exp (keyvault-mapping)     conflict A [fig keyvault-prefix keyvault-mapping]
//	-                A=pfx            A=exp              A=exp (keyvault-mapping)     conflict A [keyvault-prefix keyvault-mapping]
//	db:pw=fig        -                DB:PW=exp          DB:PW=exp (winner spelling)  conflict DB:PW [fig keyvault-mapping]
//	A=ref✓           -                -                  A=s3cret, Secret             -
//	A=" ref✓ "       -                -                  A=s3cret, Secret (trimmed)   -
//	A=ref✗           -                -                  (A left out)                 unresolved A
//	A=ref✗           A=pfx            -                  A=pfx (keyvault-prefix)      conflict A [fig keyvault-prefix]
//	A=ref✗, A=fig    -                -                  A=fig (last Fig wins)        -
//	A=fig, a=fig2    -                -                  a=fig2 (last Fig wins)       -
//	-                A=p1, A=p2       -                  A=p2 (last prefix wins)      -
//	A=fig, A=ref✗    -                -                  (A left out)                 unresolved A
//	A=x+ref          -                -                  A=x@Microsoft… (not a ref)   -
package merge
