package transport

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/fig-injector/fig-injector/injector/boundedfile"
)

// rootPool returns the system roots plus the certificates in caFile, or nil
// (meaning "system roots") when caFile is empty. A file that cannot be read or
// holds no PEM certificate is an error naming the file and the fix, because
// silently trusting only the system roots would surface much later as an
// obscure "certificate signed by unknown authority".
func rootPool(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := boundedfile.Read(caFile, boundedfile.ConfigLimit)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("tls.caFile %s: %w; fix: mount the CA bundle at that path or correct tls.caFile", caFile, err)
		}
		return nil, fmt.Errorf("tls.caFile %s: %w; fix: make the file readable by the agent's user", caFile, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		// No system roots (e.g. an image without ca-certificates): trust the
		// given CAs alone rather than fail.
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls.caFile %s holds no PEM certificate; fix: put one or more \"-----BEGIN CERTIFICATE-----\" blocks in it", caFile)
	}
	return pool, nil
}
