package figapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// The /_dev/ admin surface (Options.DevAdmin) is not part of Fig's API; it
// lets the kind walkthrough and shell scripts drive the emulator:
//
//	GET  /_dev/clients                                   clients, settings and kinds (no values)
//	PUT  /_dev/clients/{name}/settings/{setting}[?instance=]
//	     body: a Fig value object, {"$type":"Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts","value":5}
//	POST /_dev/runsessions/{id}/restart
//	PUT  /_dev/runsessions/{id}/livereload?liveReload=false
//
// Answers are 204 on success, and a plain-text message otherwise.
func (s *Server) serveDev(w http.ResponseWriter, r *http.Request, seg []string) {
	is := func(i int, lit string) bool { return i < len(seg) && strings.EqualFold(seg[i], lit) }
	switch {
	case len(seg) == 1 && is(0, "clients") && r.Method == http.MethodGet:
		s.devClients(w)
	case len(seg) == 4 && is(0, "clients") && is(2, "settings") && r.Method == http.MethodPut:
		body, err := readBody(r)
		if err != nil {
			devError(w, http.StatusBadRequest, err)
			return
		}
		tree, err := parseTree(body)
		if err != nil {
			devError(w, http.StatusBadRequest, err)
			return
		}
		v, err := decodeValue(tree, "body")
		if err != nil {
			devError(w, http.StatusBadRequest, err)
			return
		}
		devAnswer(w, s.SetValue(seg[1], instanceParam(r), seg[3], v))
	case len(seg) == 3 && is(0, "runsessions") && is(2, "restart") && r.Method == http.MethodPost:
		devAnswer(w, s.RequestRestart(seg[1]))
	case len(seg) == 3 && is(0, "runsessions") && is(2, "livereload") && r.Method == http.MethodPut:
		live, err := strconv.ParseBool(r.URL.Query().Get("liveReload"))
		if err != nil {
			devError(w, http.StatusBadRequest, errors.New("liveReload: want true or false"))
			return
		}
		devAnswer(w, s.SetLiveReload(seg[1], live))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// devClient is one row of GET /_dev/clients.
type devClient struct {
	Name     string       `json:"name"`
	Instance string       `json:"instance,omitempty"`
	Settings []devSetting `json:"settings"`
	Sessions int          `json:"runSessions"`
}

type devSetting struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	IsSecret bool   `json:"isSecret,omitempty"`
	Null     bool   `json:"null,omitempty"`
}

func (s *Server) devClients(w http.ResponseWriter) {
	out := []devClient{}
	for _, c := range s.Clients() {
		dc := devClient{Name: c.Name, Instance: c.Instance, Settings: []devSetting{}}
		for _, st := range c.Settings {
			dc.Settings = append(dc.Settings, devSetting{Name: st.Name, Kind: st.Kind.String(), IsSecret: st.IsSecret, Null: st.Value.IsNull()})
		}
		for _, rs := range s.RunSessions(c.Name) {
			if rs.ServedInstance == c.Instance {
				dc.Sessions++
			}
		}
		out = append(out, dc)
	}
	b, _ := json.Marshal(out)
	writeJSON(w, b)
}

func devAnswer(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ErrNotFound):
		devError(w, http.StatusNotFound, err)
	default:
		devError(w, http.StatusBadRequest, err)
	}
}

func devError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(err.Error() + "\n"))
}
