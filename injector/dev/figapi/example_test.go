package figapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

// A client that never registers finds seeded settings; an admin edit shows
// up in its next status poll.
func Example() {
	srv := figapi.New(figapi.Options{})
	_ = srv.Seed(figapi.ClientSeed{
		Name:   "OrderService",
		Secret: "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
		Settings: []figapi.SettingSeed{
			{Name: "Timeout", Value: figapi.TimeSpan(30 * time.Second)},
			{Name: "Ratio", Value: figapi.Double(2)},
		},
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	call := func(method, path, body string) string {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("clientSecret", "3f2504e0-4f89-11d3-9a0c-0305e82c3301")
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	fmt.Println(call("GET", "/clients/OrderService/settings?runSessionId=6a1f7c2e-0b9d-4a57-9a55-2c6f0d7f4e11", ""))

	status := `{"RunSessionId":"6a1f7c2e-0b9d-4a57-9a55-2c6f0d7f4e11","LastSettingUpdate":"` +
		time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano) + `","PollIntervalMs":30000.0}`
	_ = srv.SetValue("OrderService", "", "Ratio", figapi.Double(0.5))
	fmt.Println(call("PUT", "/statuses/OrderService", status))
	// Output:
	// [{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","name":"Timeout","isSecret":false,"value":{"$type":"Fig.Contracts.Settings.TimeSpanSettingDataContract, Fig.Contracts","value":"00:00:30"}},{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","name":"Ratio","isSecret":false,"value":{"$type":"Fig.Contracts.Settings.DoubleSettingDataContract, Fig.Contracts","value":2.0}}]
	// {"$type":"Fig.Contracts.Status.StatusResponseDataContract, Fig.Contracts","settingUpdateAvailable":true,"pollIntervalMs":30000.0,"allowOfflineSettings":true,"restartRequested":false,"changedSettings":["Ratio"]}
}
