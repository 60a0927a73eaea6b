//go:build linux

package lab

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// ProbeResult is one connection attempt of a Prober.
type ProbeResult struct {
	// At is when the attempt started.
	At time.Time
	// OK is true when the connection opened and a line was read in time.
	OK bool
	// Node is the node= field of the reply: the node whose pod backend
	// answered, which with externalTrafficPolicy Cluster need not be the
	// node that took the traffic in.
	Node string
	// Err is why the attempt failed.
	Err error
}

// Prober measures what a client sees during a failover: from inside a lab
// namespace it opens a TCP connection to a target every interval, reads the
// one-line greeting of a lab backend and closes, recording each attempt.
type Prober struct {
	lab               *Lab
	target            netip.AddrPort
	interval, timeout time.Duration
	stop, done        chan struct{}
	stopOnce          sync.Once

	mu      sync.Mutex
	results []ProbeResult
	err     error
}

// maxProbeTimeout caps an attempt: a connection that takes longer than this
// in a lab of veths is lost, and waiting longer would blur the gap.
const maxProbeTimeout = 100 * time.Millisecond

// StartProber starts probing target from namespace ns every interval. An
// attempt may take five intervals, at most 100 ms; attempts never overlap,
// so while the target is unreachable they are that far apart, and a gap is
// measured to about max(interval, timeout). Stop ends it; Down stops every
// prober still running.
func (l *Lab) StartProber(ns string, target netip.AddrPort, interval time.Duration) (*Prober, error) {
	if !target.IsValid() || target.Port() == 0 {
		return nil, fmt.Errorf("prober: target %s: want an address and a port", target)
	}
	if interval <= 0 {
		return nil, fmt.Errorf("prober: interval %v: want more than 0", interval)
	}
	h, err := l.handle(ns)
	if err != nil {
		return nil, err
	}
	p := &Prober{
		lab: l, target: target, interval: interval, timeout: min(5*interval, maxProbeTimeout),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	l.mu.Lock()
	if l.down { // Down has collected the probers already and would miss p
		l.mu.Unlock()
		return nil, errors.New("lab is down")
	}
	if l.probers == nil {
		l.probers = map[*Prober]struct{}{}
	}
	l.probers[p] = struct{}{}
	l.mu.Unlock()
	go func() {
		defer close(p.done)
		// One locked thread in ns for the prober's life: every socket is
		// created there, and entering the namespace once per attempt
		// would cost more than the attempt.
		if err := inNS(h, p.run); err != nil {
			p.mu.Lock()
			p.err = fmt.Errorf("prober in %s: %w", ns, err)
			p.mu.Unlock()
		}
	}()
	return p, nil
}

func (p *Prober) run() error {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		r := p.probe()
		p.mu.Lock()
		p.results = append(p.results, r)
		p.mu.Unlock()
		select {
		case <-p.stop:
			return nil
		case <-t.C: // a tick missed during a slow attempt is dropped
		}
	}
}

func (p *Prober) probe() ProbeResult {
	r := ProbeResult{At: time.Now()}
	deadline := r.At.Add(p.timeout)
	d := net.Dialer{Deadline: deadline}
	c, err := d.Dial("tcp", p.target.String())
	if err != nil {
		r.Err = err
		return r
	}
	defer func() {
		// Reset rather than close: at 100 connections a second a graceful
		// close leaves each flow's conntrack entry on the node in
		// TIME_WAIT for 2 minutes, and after a few minutes of probing the
		// node's tables, not the failover, would be what a probe measures.
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}()
	_ = c.SetDeadline(deadline)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		r.Err = fmt.Errorf("read: %w", err)
		return r
	}
	r.OK = true
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "node="); ok {
			r.Node = v
		}
	}
	return r
}

// Stop stops probing and waits for the attempt under way, at most one
// timeout. It may be called more than once; the results stay readable.
func (p *Prober) Stop() {
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
	p.lab.mu.Lock()
	delete(p.lab.probers, p)
	p.lab.mu.Unlock()
}

// Done is closed when the prober has stopped.
func (p *Prober) Done() <-chan struct{} { return p.done }

// Err is why the prober could not run (it could not enter its namespace),
// or nil.
func (p *Prober) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Results returns a copy of the attempts so far, oldest first.
func (p *Prober) Results() []ProbeResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ProbeResult(nil), p.results...)
}

// Gap is the longest outage that reaches to or past after, measured from
// the last success before it to the first success after it; 0 if no
// attempt at or after after failed. See probeGap for the open-ended cases.
func (p *Prober) Gap(after time.Time) time.Duration { return probeGap(p.Results(), after) }

// LastSuccess returns the latest successful attempt.
func (p *Prober) LastSuccess() (ProbeResult, bool) {
	rs := p.Results()
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].OK {
			return rs[i], true
		}
	}
	return ProbeResult{}, false
}

// FirstSuccessAfter returns the first successful attempt that started at or
// after t, e.g. the first connection served after a failover.
func (p *Prober) FirstSuccessAfter(t time.Time) (ProbeResult, bool) {
	return firstSuccessAfter(p.Results(), t)
}

func firstSuccessAfter(rs []ProbeResult, t time.Time) (ProbeResult, bool) {
	for _, r := range rs {
		if r.OK && !r.At.Before(t) {
			return r, true
		}
	}
	return ProbeResult{}, false
}

// probeGap returns the longest run of failed attempts (results in time
// order) that has a failure at or after after. A run lasts from the success
// before it to the success after it: the time a client had no working
// connection, up to the probing resolution. A run at the very start counts
// from its first attempt, and one still going on at the end up to its last
// attempt, so either is a lower bound (a lone failure with no success around
// it counts 0).
func probeGap(rs []ProbeResult, after time.Time) time.Duration {
	var longest time.Duration
	lastOK := -1
	for i := 0; i < len(rs); {
		if rs[i].OK {
			lastOK = i
			i++
			continue
		}
		j := i // rs[i:j] is the run of failures
		for j < len(rs) && !rs[j].OK {
			j++
		}
		if !rs[j-1].At.Before(after) {
			start, end := rs[i].At, rs[j-1].At
			if lastOK >= 0 {
				start = rs[lastOK].At
			}
			if j < len(rs) {
				end = rs[j].At
			}
			longest = max(longest, end.Sub(start))
		}
		i = j
	}
	return longest
}
