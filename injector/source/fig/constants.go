package fig

import (
	"context"
	"net"
	"os"
	"os/user"
	"runtime"
	"strconv"
	"strings"
)

// nullPlaceholder is Fig's enum null marker (Constants.EnumNullPlaceholder):
// a string setting holding exactly this text is null.
const nullPlaceholder = "<NULL>"

// Constants are the values Fig.Client substitutes for ${MachineName},
// ${User}, ${Domain}, ${IPAddress}, ${ProcessorCount} and ${OSVersion} in
// string values, data-grid cells and JSON values
// (StringExtensionMethods.ReplaceConstants). They describe the application's
// environment; HostConstants fills them from the machine fig-injector runs
// on, which is the application's pod but not its container, so User and
// ProcessorCount may need overriding.
type Constants struct {
	MachineName    string
	User           string
	Domain         string
	IPAddress      string
	ProcessorCount string
	OSVersion      string
}

// replace applies Fig.Client's substitutions in its order, each on the
// result of the previous one, with ordinal (case-sensitive) matching.
func (c Constants) replace(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	s = strings.ReplaceAll(s, "${MachineName}", c.MachineName)
	s = strings.ReplaceAll(s, "${User}", c.User)
	s = strings.ReplaceAll(s, "${Domain}", c.Domain)
	s = strings.ReplaceAll(s, "${IPAddress}", c.IPAddress)
	s = strings.ReplaceAll(s, "${ProcessorCount}", c.ProcessorCount)
	s = strings.ReplaceAll(s, "${OSVersion}", c.OSVersion)
	return s
}

// replaceConstants is ReplaceConstants: "<NULL>" is null, anything else has
// its constants substituted.
func (c Constants) replaceConstants(s string) (string, bool) {
	if s == nullPlaceholder {
		return "", false
	}
	return c.replace(s), true
}

// HostConstants reads the constants from the running host as .NET would:
//   - MachineName: the host name up to its first '.' (Environment.MachineName on Linux);
//   - User: the effective user's name (Environment.UserName);
//   - Domain: the machine name, which is what Environment.UserDomainName is on Linux;
//   - IPAddress: the first IPv4 address the host name resolves to (Fig's
//     IpAddressResolver), empty when there is none;
//   - ProcessorCount: the number of CPUs the process may use;
//   - OSVersion: "Unix " and the kernel version (Environment.OSVersion.VersionString).
func HostConstants(ctx context.Context) Constants {
	c := Constants{
		MachineName:    MachineName(),
		User:           userName(),
		ProcessorCount: strconv.Itoa(runtime.NumCPU()),
		OSVersion:      osVersion(),
	}
	c.Domain = c.MachineName
	if host, err := os.Hostname(); err == nil {
		if addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host); err == nil {
			for _, a := range addrs {
				if v4 := a.IP.To4(); v4 != nil {
					c.IPAddress = v4.String()
					break
				}
			}
		}
	}
	return c
}

// MachineName is Environment.MachineName on Linux: the host name cut at its
// first '.'. Fig.Client sends it as Fig_Hostname.
func MachineName() string {
	host, err := os.Hostname()
	if err != nil {
		return ""
	}
	if i := strings.IndexByte(host, '.'); i >= 0 {
		host = host[:i]
	}
	return host
}

// userName is Environment.UserName: the effective user's login name, or
// its numeric id when it has no passwd entry (common in containers).
func userName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Geteuid())
}

// osVersion is Environment.OSVersion.VersionString on Linux: "Unix " and up
// to four numeric parts of the kernel release ("5.15.0-1057-azure" gives
// "Unix 5.15.0.1057").
func osVersion() string {
	data, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "Unix"
	}
	fields := strings.FieldsFunc(strings.TrimSpace(string(data)), func(r rune) bool { return r < '0' || r > '9' })
	if len(fields) > 4 {
		fields = fields[:4]
	}
	if len(fields) == 0 {
		return "Unix"
	}
	return "Unix " + strings.Join(fields, ".")
}
