//go:build linux

// Command lab runs ironlb on the embedded lab, in the background, until
// `lab down`:
//
//	lab up    build nothing, start the lab (idempotent) and print how to look around
//	lab down  stop it and remove every namespace and process it made (idempotent)
//
// `make lab` and `make lab-down` build the binaries and call these. `up`
// starts a supervisor (`lab serve`, detached) that owns every part of the
// lab, so that `down` only has to signal it; a sweep by namespace prefix
// then removes what a crashed supervisor left behind.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ironlb/ironlb/e2e/lab"
)

// prefix names the lab's namespaces: ilb-router, ilb-node1, ...
const prefix = "ilb-"

func main() { os.Exit(run()) }

func run() int {
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	dir := fs.String("dir", defaultDir(), "state directory: logs, kubeconfig, sockets")
	bin := fs.String("bin", "", "directory holding the speaker and controller binaries")
	if err := fs.Parse(os.Args[1:]); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: lab [-dir DIR] [-bin DIR] up|down|serve")
		return 2
	}
	var err error
	switch fs.Arg(0) {
	case "up":
		err = up(*dir, *bin)
	case "down":
		err = down(*dir)
	case "serve":
		err = serve(*dir, *bin)
	default:
		err = fmt.Errorf("unknown command %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
		return 1
	}
	return 0
}

func defaultDir() string {
	if d := os.Getenv("IRONLB_CACHE"); d != "" {
		return filepath.Join(d, "lab")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "ironlb", "lab")
}

// Files in the state directory.
const (
	pidFile     = "supervisor.pid"
	readyFile   = "ready"
	summaryFile = "summary.txt"
	failedFile  = "failed"
	logFile     = "lab.log"
)

// up starts the supervisor unless one runs, waits until the lab is ready
// and prints its summary.
func up(dir, bin string) error {
	if pid, ok := running(dir); ok {
		fmt.Printf("The lab is already up (supervisor PID %d).\n\n", pid)
		return printSummary(dir)
	}
	if bin == "" {
		return errors.New("-bin is required")
	}
	// Whatever a crashed lab left behind goes first.
	if err := lab.Sweep(prefix); err != nil {
		return fmt.Errorf("sweep an earlier lab: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	log, err := os.Create(filepath.Join(dir, logFile))
	if err != nil {
		return err
	}
	defer log.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "-dir", dir, "-bin", bin, "serve")
	cmd.Stdout, cmd.Stderr = log, log
	// Its own session: the supervisor outlives this command and make.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the supervisor: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	fmt.Printf("Starting the lab (log: %s) ...\n", filepath.Join(dir, logFile))
	deadline := time.After(10 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(dir, readyFile)); err == nil {
			return printSummary(dir)
		}
		select {
		case err := <-exited:
			why, _ := os.ReadFile(filepath.Join(dir, failedFile))
			return fmt.Errorf("the lab failed to start (%w): %s\nsee %s", err, strings.TrimSpace(string(why)), filepath.Join(dir, logFile))
		case <-deadline:
			_ = down(dir)
			return errors.New("the lab was not ready after 10 minutes; removed it")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func printSummary(dir string) error {
	s, err := os.ReadFile(filepath.Join(dir, summaryFile))
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(s)
	return err
}

// running returns the supervisor's PID if it is alive.
func running(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, pidFile))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	// The PID must still be our supervisor, not a reused number.
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), "serve") {
		return 0, false
	}
	return pid, true
}

// down stops the supervisor (which tears everything down) and sweeps.
func down(dir string) error {
	if pid, ok := running(dir); ok {
		fmt.Printf("Stopping the lab (supervisor PID %d) ...\n", pid)
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 600 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if err := lab.Sweep(prefix); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(dir, pidFile))
	_ = os.Remove(filepath.Join(dir, readyFile))
	fmt.Println("The lab is down.")
	return nil
}

// serve is the supervisor: it brings the lab up, reports, and tears it down
// on SIGTERM or SIGINT.
func serve(dir, bin string) error {
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := supervise(ctx, dir, bin)
	if err != nil {
		_ = os.WriteFile(filepath.Join(dir, failedFile), []byte(err.Error()), 0o644)
	}
	_ = os.Remove(filepath.Join(dir, pidFile))
	return err
}
