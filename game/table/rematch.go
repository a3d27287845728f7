package table

// The rematch offer. When a match ends with a person seated, the table is
// finished and the offer runs for Options.RematchSeconds (Meta.Deadline,
// under its own Timer number). Each person says yes with rematch (or
// ready); bots always do. Once the table is full and every person has said
// yes, the next match starts (Apply: rematchAgreed). The host may also
// start it once every other person has said yes. When the offer's deadline
// passes first, the people who did not say yes lose their seats, and the
// table waits again for its host with the others (ready, as they said
// yes) and the bots.

// RematchLimit is how long (ms) the rematch offer runs.
func (o Options) RematchLimit() int64 {
	return int64(or(o.RematchSeconds, DefaultRematchSeconds)) * 1000
}

// endOffer ends the rematch offer at its deadline: every person who did not
// say yes is unseated (a host among them passes the table on, see
// nextHost) and the table waits again.
func endOffer(t Table) (Table, []Event, error) {
	hostLeft := false
	for s, p := range t.Seats {
		if p != nil && !p.Bot && !p.Ready {
			t = withSeats(t, s, nil)
			hostLeft = hostLeft || p.ID == t.Host
		}
	}
	if hostLeft {
		t.Host = t.nextHost()
	}
	t.Status = Waiting
	return t, []Event{t.metaEvent()}, nil
}
