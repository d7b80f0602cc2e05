package lb

import (
	"encoding/csv"
	"strings"
)

// statRow is one line of HAProxy's `show stat`.
type statRow struct {
	proxy, server, status string
}

// parseStat reads the CSV of `show stat`.
func parseStat(out string) []statRow {
	out = strings.TrimPrefix(out, "# ")
	r := csv.NewReader(strings.NewReader(out))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil || len(recs) == 0 {
		return nil
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	px, sv, st := col["pxname"], col["svname"], col["status"]
	var rows []statRow
	for _, rec := range recs[1:] {
		if len(rec) <= st {
			continue
		}
		rows = append(rows, statRow{proxy: rec[px], server: rec[sv], status: rec[st]})
	}
	return rows
}

// memberStatus maps a server's HAProxy status to Octavia's operating status.
func memberStatus(haproxy string, monitored bool) string {
	switch {
	case strings.HasPrefix(haproxy, "MAINT"):
		return OperatingOffline
	case haproxy == "no check" || !monitored:
		return OperatingNoMonitor
	case strings.HasPrefix(haproxy, "UP"):
		return OperatingOnline
	case strings.HasPrefix(haproxy, "DOWN"):
		return OperatingError
	case haproxy == "DRAIN" || haproxy == "NOLB":
		return OperatingDraining
	}
	return OperatingOffline
}

// applyStatus fills the operating statuses of lb from `show stat`; rows is
// nil when HAProxy does not answer, which makes everything OFFLINE and the
// load balancer ERROR.
func applyStatus(lb *LoadBalancer, rows []statRow, running bool) {
	byName := map[[2]string]string{}
	for _, r := range rows {
		byName[[2]string{r.proxy, r.server}] = r.status
	}
	lbStatus := OperatingOnline
	worse := func(s string) {
		rank := map[string]int{OperatingOnline: 0, OperatingDegraded: 1, OperatingError: 2}
		if rank[s] > rank[lbStatus] {
			lbStatus = s
		}
	}
	for i := range lb.Listeners {
		l := &lb.Listeners[i]
		l.OperatingStatus = OperatingOffline
		if byName[[2]string{proxyName(l.ID), "FRONTEND"}] == "OPEN" {
			l.OperatingStatus = OperatingOnline
		} else {
			worse(OperatingDegraded)
		}
	}
	for i := range lb.Pools {
		p := &lb.Pools[i]
		monitored := p.HealthMonitor != nil
		up, down := 0, 0
		for j := range p.Members {
			m := &p.Members[j]
			st, ok := byName[[2]string{proxyName(p.ID), proxyName(m.ID)}]
			if !ok {
				m.OperatingStatus = OperatingOffline
				continue
			}
			m.OperatingStatus = memberStatus(st, monitored)
			switch m.OperatingStatus {
			case OperatingOnline, OperatingNoMonitor:
				up++
			case OperatingError:
				down++
			}
		}
		_, inUse := byName[[2]string{proxyName(p.ID), "BACKEND"}]
		switch {
		case !inUse:
			p.OperatingStatus = OperatingOffline
		case down > 0 && up == 0:
			p.OperatingStatus = OperatingError
		case down > 0:
			p.OperatingStatus = OperatingDegraded
		default:
			p.OperatingStatus = OperatingOnline
		}
		if inUse && p.OperatingStatus != OperatingOnline {
			worse(OperatingDegraded)
		}
	}
	if !running {
		lbStatus = OperatingError
	}
	lb.OperatingStatus = lbStatus
}
