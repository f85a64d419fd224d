// Package fuzz holds fuzz targets for the inputs a user or a pod author
// controls and that no other package fuzzes: the agent configuration file
// (injector/config), the paths it names (config.CheckOutputPath and
// config.ClusterRules' confinement) and the pod annotations the webhook
// parses (injector/inject). Their seed corpora run under plain `go test`; longer
// runs are documented in docs/benchmarks.md.
package fuzz
