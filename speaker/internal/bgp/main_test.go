package bgp

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// netnsEnv carries, to the re-executed test binary, the network namespace
// of its parent. The child runs BGP only if its own namespace differs: a
// session must never touch the host's interfaces, not even its loopback.
const netnsEnv = "IRONLB_BGP_TEST_PARENT_NETNS"

func TestMain(m *testing.M) {
	if parent, ok := os.LookupEnv(netnsEnv); ok {
		if own := netnsID(); own == "" || own == parent || !onlyLoopback() {
			fmt.Fprintln(os.Stderr, "bgp tests: not in a private network namespace; refusing to run")
			os.Exit(1)
		}
		if sock, ok := os.LookupEnv(routerEnv); ok {
			os.Exit(runRouter(sock))
		}
		if err := setUpLoopback(); err != nil {
			fmt.Fprintf(os.Stderr, "bgp tests: set up lo: %v\n", err)
			os.Exit(1)
		}
		os.Exit(m.Run())
	}
	code, err := reexecInNetns()
	if err == nil {
		os.Exit(code)
	}
	// Without root there is no namespace: run the tests that open no
	// socket here; the others skip themselves.
	fmt.Fprintf(os.Stderr, "bgp tests: no private network namespace (%v): session tests skip\n", err)
	os.Exit(m.Run())
}

// reexecInNetns runs this test binary again, with the same arguments, in a
// new network namespace, and returns its exit code.
func reexecInNetns() (int, error) {
	id := netnsID()
	if id == "" {
		return 0, errors.New("cannot read /proc/self/ns/net")
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), netnsEnv+"="+id)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return max(exit.ExitCode(), 1), nil
	default:
		return 0, err
	}
}

func netnsID() string {
	id, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return ""
	}
	return id
}

// onlyLoopback reports whether lo is the only interface, as in a namespace
// just created.
func onlyLoopback() bool {
	links, err := netlink.LinkList()
	return err == nil && len(links) == 1 && links[0].Attrs().Name == "lo"
}

// setUpLoopback brings up lo, the only interface of a new namespace, and
// adds IPv6 addresses without duplicate address detection, which would
// keep them tentative for a while.
func setUpLoopback() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return err
	}
	for _, a := range []string{"2001:db8::1/128", "2001:db8::2/128"} {
		addr, err := netlink.ParseAddr(a)
		if err != nil {
			return err
		}
		addr.Flags = unix.IFA_F_NODAD
		if err := netlink.AddrAdd(lo, addr); err != nil {
			return fmt.Errorf("add %s: %w", a, err)
		}
	}
	return nil
}

// needNetns skips a test that opens sockets unless it runs in the private
// namespace.
func needNetns(t *testing.T) {
	t.Helper()
	if _, ok := os.LookupEnv(netnsEnv); !ok {
		t.Skip("needs a private network namespace (run as root)")
	}
}
