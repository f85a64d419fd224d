package notify

import (
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in      string
		want    syscall.Signal
		wantErr bool
	}{
		{in: "SIGHUP", want: syscall.SIGHUP},
		{in: "HUP", want: syscall.SIGHUP},
		{in: "1", want: syscall.SIGHUP},
		{in: " sighup ", want: syscall.SIGHUP},
		{in: "usr1", want: syscall.SIGUSR1},
		{in: "SIGUSR2", want: syscall.SIGUSR2},
		{in: "SIGTERM", want: syscall.SIGTERM},
		{in: "15", want: syscall.SIGTERM},
		{in: "64", want: syscall.Signal(64)},
		{in: "", wantErr: true},
		{in: "0", wantErr: true},
		{in: "65", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "SIGNOPE", wantErr: true},
		{in: "SIG", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSignal(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSignal(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseSignal(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestSignalName(t *testing.T) {
	for sig, want := range map[syscall.Signal]string{syscall.SIGHUP: "SIGHUP", syscall.SIGUSR1: "SIGUSR1", 35: "signal 35"} {
		if got := signalName(sig); got != want {
			t.Errorf("signalName(%d) = %q, want %q", sig, got, want)
		}
	}
}
