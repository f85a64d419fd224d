// Package relay documents the cluster relay of issue 14; its parts live in
// the packages below it:
//
//   - wire: the subscription protocol shared by the relay and its
//     subscribers (NDJSON over one long-lived HTTPS response);
//   - hook: Fig's web hooks in, verified as Fig tells receivers to;
//   - hub: who subscribed to what, and per-subscriber coalescing of
//     wake-ups;
//   - kvwatch: one list pass per vault and interval;
//   - lease: the election of the one replica that lists (a
//     coordination.k8s.io Lease, client-go leaderelection's semantics);
//   - fleet: that replica lists the union of every replica's vaults and
//     forwards what it finds, so the cluster lists each vault once;
//   - peers: replicas find each other (EndpointSlices) and forward hooks,
//     findings and vault reports;
//   - auth: subscribers authenticated by a projected service-account token
//     (TokenReview) and authorised by their own pod's configuration
//     (annotations or its ConfigMap config);
//   - offlinestore: the agents' encrypted offline copies of their Fig
//     settings, one Secret per client and instance (ciphertext only);
//   - server: the relay's HTTPS server wiring the above;
//   - subscribe: the Go client the agent uses (standard library only, so
//     the agent image stays small).
//
// The relay never sees a setting value or a secret value: Fig's hooks carry
// names only, and the relay's Key Vault identity may list secret
// properties but not read values.
package relay
