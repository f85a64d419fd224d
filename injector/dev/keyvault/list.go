package keyvault

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// serveList answers GET /secrets: the properties of every secret's latest
// version (disabled ones included), without values, ids without version,
// ordered by name case-insensitively, in pages.
func (s *Server) serveList(w http.ResponseWriter, r *http.Request, ev *Event) {
	pageSize, marker, e := s.paging(r)
	if e != nil {
		s.writeError(w, ev, *e)
		return
	}
	base := origin(r)
	s.mu.Lock()
	keys := slices.Sorted(maps.Keys(s.secrets))
	var items []wireItem
	next := ""
	for _, key := range keys {
		if key < marker {
			continue
		}
		if len(items) == pageSize {
			next = key
			break
		}
		entry := s.secrets[key]
		items = append(items, s.item(base+"/secrets/"+entry.name, entry.versions[len(entry.versions)-1]))
	}
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, page(items, nextLink(r, "/secrets", next, pageSize)))
}

// serveVersions answers GET /secrets/{name}/versions: every version
// (disabled ones included) with its id, ordered by version id, which to a
// client is no meaningful order (the service promises none either). An
// unknown secret yields 200 with an empty list, as the service answers.
func (s *Server) serveVersions(w http.ResponseWriter, r *http.Request, ev *Event, req request) {
	pageSize, marker, e := s.paging(r)
	if e != nil {
		s.writeError(w, ev, *e)
		return
	}
	base := origin(r)
	s.mu.Lock()
	var items []wireItem
	next := ""
	if entry := s.secrets[strings.ToLower(req.name)]; entry != nil {
		versions := slices.SortedFunc(slices.Values(entry.versions), func(a, b *version) int { return cmp.Compare(a.id, b.id) })
		for _, v := range versions {
			if v.id < marker {
				continue
			}
			if len(items) == pageSize {
				next = v.id
				break
			}
			items = append(items, s.item(base+"/secrets/"+entry.name+"/"+v.id, v))
		}
	}
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, page(items, nextLink(r, "/secrets/"+req.name+"/versions", next, pageSize)))
}

func page(items []wireItem, next string) wirePage {
	p := wirePage{Value: items}
	if p.Value == nil {
		p.Value = []wireItem{}
	}
	if next != "" {
		p.NextLink = &next
	}
	return p
}

// skipToken is the decoded $skiptoken: where the next page starts. The
// service's token is opaque base64 JSON with a NextMarker too.
type skipToken struct {
	NextMarker string `json:"NextMarker"`
}

// paging reads maxresults (1 to the larger of 25 and PageSize) and
// $skiptoken from the query.
func (s *Server) paging(r *http.Request) (pageSize int, marker string, e *kvError) {
	q := r.URL.Query()
	pageSize = s.opts.PageSize
	if raw := q.Get("maxresults"); raw != "" {
		n, err := strconv.Atoi(raw)
		if limit := max(DefaultPageSize, s.opts.PageSize); err != nil || n < 1 || n > limit {
			err := errBadParameter("Invalid maxresults: '" + raw + "'. The value must be between 1 and " + strconv.Itoa(limit) + ".")
			return 0, "", &err
		}
		pageSize = n
	}
	if raw := q.Get("$skiptoken"); raw != "" {
		var t skipToken
		b, err := base64.RawURLEncoding.DecodeString(raw)
		if err != nil || json.Unmarshal(b, &t) != nil || t.NextMarker == "" {
			err := errBadParameter("Invalid skip token.")
			return 0, "", &err
		}
		marker = t.NextMarker
	}
	return pageSize, marker, nil
}

// nextLink builds the absolute link of the page starting at next ("" for
// none) the way the service writes it: explicit port, literal $skiptoken,
// api-version echoed, maxresults last (contracts/azure.md §4.3).
func nextLink(r *http.Request, path, next string, pageSize int) string {
	if next == "" {
		return ""
	}
	host := r.Host
	if _, _, err := net.SplitHostPort(host); err != nil {
		port := "443"
		if r.TLS == nil {
			port = "80"
		}
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	b, _ := json.Marshal(skipToken{NextMarker: next}) // a struct of one string always marshals
	scheme := strings.SplitN(origin(r), ":", 2)[0]
	return scheme + "://" + host + path +
		"?api-version=" + url.QueryEscape(r.URL.Query().Get("api-version")) +
		"&$skiptoken=" + base64.RawURLEncoding.EncodeToString(b) +
		"&maxresults=" + strconv.Itoa(pageSize)
}
