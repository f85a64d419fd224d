// Package contract holds Fig's data contracts as Fig.Client writes and reads
// them, without any HTTP: the value contracts (Kind, Value, the typed value
// read once from a value's JSON), the setting definitions a client registers
// and the body of that registration, client setting overrides, and the YAML
// declaration from which a non-.NET application's definition is built.
//
// Its jobs, each in its own file:
//
//   - the value contracts, their constructors and their configuration text:
//     value.go; reading a value object once into its typed value: decode.go;
//   - the registration body, SettingsClientDefinitionDataContract:
//     definition.go; client setting overrides: overrides.go;
//   - the settings declaration a user writes (fig.register): declaration.go.
//
// Package fig sends and receives these contracts; package dotnet holds the
// .NET number, date and JSON rules both follow.
package contract
