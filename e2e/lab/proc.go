//go:build linux

package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// stopTimeout is how long Stop waits after SIGTERM before it sends SIGKILL.
const stopTimeout = 3 * time.Second

// Proc is a process the lab started in one of its namespaces.
type Proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // the Wait result, set before done is closed
}

// startProc runs `ip netns exec ns args...`. ip execs the command, so the
// PID is the command's own. The process leads a process group of its own so
// that signals reach whatever it forks, and writes stdout and stderr to
// dir/name.log (appended, so a restart keeps the earlier run's lines).
func startProc(dir, ns, name string, args ...string) (*Proc, error) {
	if len(args) == 0 {
		return nil, errors.New("start: no command")
	}
	logPath := filepath.Join(dir, name+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer log.Close() // the child has its own copy
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s in %s: %w", name, ns, err)
	}
	p := &Proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Name is the name the process was started with; its log is Dir/Name.log.
func (p *Proc) Name() string { return p.name }

// Pid is the process ID of the command.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is the exit status once Done is closed, and nil before.
func (p *Proc) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Running reports whether the process has not exited yet.
func (p *Proc) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Signal sends sig to the process group, e.g. SIGSTOP to freeze a node's
// daemon and SIGCONT to resume it.
func (p *Proc) Signal(sig syscall.Signal) error {
	if !p.Running() {
		return nil
	}
	if err := syscall.Kill(-p.Pid(), sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %s (%d): %w", p.name, p.Pid(), err)
	}
	return nil
}

// Stop sends SIGTERM, waits up to 3 s for the process to exit, then sends
// SIGKILL. A stopped process (SIGSTOP) is resumed so it can act on SIGTERM.
func (p *Proc) Stop() error {
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	_ = p.Signal(syscall.SIGCONT)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
	}
	return p.Kill()
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Proc) Kill() error {
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("kill %s (%d): still running after SIGKILL", p.name, p.Pid())
	}
}
