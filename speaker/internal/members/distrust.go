package members

// Distrust makes this node stop counting itself alive until it has joined
// a peer again and waited out the quiet period, as after a stall. The
// speaker calls it when one of its links comes back up: while the link was
// down the node may have taken itself for the only survivor, and the other
// speakers, which found it dead, have given its addresses to someone else;
// answering before they know it is back would make two answerers.
func (m *Members) Distrust(reason string) {
	m.alarm(reason)
}
