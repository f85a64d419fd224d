package output_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/rules"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

func ExampleEncode() {
	entries := []source.Entry{ // sorted, as merge returns them
		{Key: "Clash", Value: secret.New("dropped in json")},
		{Key: "Clash:Child", Value: secret.New("kept")},
		{Key: "Db:Password", Value: secret.New("it's $ecret"), Secret: true},
		{Key: "Hosts:0", Value: secret.New("a")},
		{Key: "Hosts:1", Value: secret.New("b")},
	}
	for _, f := range []output.Format{output.FormatJSON, output.FormatEnv, output.FormatProperties} {
		b, problems, err := output.Encode(f, entries, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s:\n%s", f, b)
		for _, p := range problems {
			fmt.Println("problem:", p.Key)
		}
	}
	// Output:
	// json:
	// {
	//   "Clash": {
	//     "Child": "kept"
	//   },
	//   "Db": {
	//     "Password": "it's $ecret"
	//   },
	//   "Hosts": [
	//     "a",
	//     "b"
	//   ]
	// }
	// problem: Clash
	// env:
	// Clash='dropped in json'
	// Clash__Child=kept
	// Db__Password='it'"'"'s $ecret'
	// Hosts__0=a
	// Hosts__1=b
	// properties:
	// Clash=dropped in json
	// Clash.Child=kept
	// Db.Password=it's $ecret
	// Hosts.0=a
	// Hosts.1=b
}

func ExampleWrite() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "appsettings.json")
	mode, err := rules.FileMode("0440")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, data := range []string{"{}\n", "{}\n", "{\"A\": \"1\"}\n"} {
		changed, err := output.Write(path, []byte(data), mode)
		fmt.Println(changed, err)
	}
	// Output:
	// true <nil>
	// false <nil>
	// true <nil>
}
