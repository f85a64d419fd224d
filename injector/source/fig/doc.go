// Package fig is a Go client for the Fig configuration API that speaks it
// exactly as the .NET Fig.Client does (contracts/fig-api.md): the same routes,
// header spellings, query strings, JSON casing, "$type" placement and number
// and date formats on the way out, and the same tolerant reading on the way in
// (camelCase or PascalCase, missing or null values, Fig 3.x servers).
//
// Its jobs, each in its own files:
//
//   - talking to the API: client.go (URIs, health probe, requests),
//     settings.go, status.go and statusprops.go (heartbeat and its limits),
//     register.go, errors.go, validate.go (Fig's name and secret rules);
//   - reading the settings payload: settings.go, decode.go;
//   - mapping values to .NET IConfiguration keys as Fig.Client does (pure
//     functions): mapping.go, constants.go.
//
// Two packages below it have no HTTP: contract holds Fig's data contracts
// (values read once into typed values, setting definitions, the
// registration body, overrides, the YAML settings declaration), and dotnet
// how .NET and Newtonsoft read and write numbers, dates, time spans and JSON.
//
// The client never retries: the agent loop owns retries and back-off, and
// every failure is a *source.Error that says whether a retry may help, how
// long the server asked to wait, and what the operator should fix.
package fig
