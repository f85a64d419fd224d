package keyvault

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// PageSize is how many secrets one list page carries (the service's fixed
// page size; the Go SDK sends no maxresults). A list pass over n secrets
// costs ⌈n/PageSize⌉ requests.
const PageSize = 25

// listing is the result of one list pass: every secret's latest-version
// attributes (values are never listed), keyed by lower-case name.
type listing struct {
	props    map[string]listed
	pages    int
	complete bool // false when stopped at the page budget
}

type listed struct {
	name  string // as the vault spells it
	attrs attrs
}

// errListForbidden marks a list that answered 403: the identity may read
// single secrets but not enumerate the vault.
var errListForbidden = errors.New("list forbidden")

// list walks the secret list, one page per request, each holding a request
// slot. With maxPages > 0 it stops after that many pages when more remain
// (complete = false): beyond that budget listing costs more than GETting the
// tracked secrets would. A 403 returns an error that errors.Is
// errListForbidden as well as the *source.Error.
func (v *Vault) list(ctx context.Context, maxPages int) (listing, error) {
	l := listing{props: map[string]listed{}}
	pager := v.client.NewListSecretPropertiesPager(nil)
	for pager.More() {
		if maxPages > 0 && l.pages >= maxPages {
			return l, nil
		}
		if err := v.acquire(ctx); err != nil {
			return l, err
		}
		page, err := pager.NextPage(ctx)
		v.release()
		if err != nil {
			cerr := v.classify(ctx, "list secrets", err)
			var re *azcore.ResponseError
			if errors.As(err, &re) && re.StatusCode == http.StatusForbidden {
				return l, errors.Join(errListForbidden, cerr)
			}
			return l, cerr
		}
		l.pages++
		for _, p := range page.Value {
			if p == nil || p.ID == nil {
				continue
			}
			name := p.ID.Name()
			if name == "" {
				continue
			}
			l.props[strings.ToLower(name)] = listed{name: name, attrs: attrsOf(p.Attributes)}
		}
	}
	l.complete = true
	return l, nil
}

// cost is what the list would cost next time: its page count, at least one
// (an empty vault still takes a request).
func (l listing) cost() int {
	if !l.complete {
		return listTooLong
	}
	return max(l.pages, 1)
}
