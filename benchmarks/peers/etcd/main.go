// W1 for etcd raft 3.4 (Debian golang-etcd-server-dev): N raft.RawNodes with MemoryStorage in
// one goroutine, messages delivered by calling Step on the receiver (no serialization, no loss).
// Prints one line in the W1 format; per-repetition numbers go to stderr.
//
//	bench -n 3 -b 64 -e 200000 -reps 5 [-batchprop]
package main

import (
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"os"
	"sort"
	"time"

	"go.etcd.io/etcd/raft"
	pb "go.etcd.io/etcd/raft/raftpb"
)

type node struct {
	rn      *raft.RawNode
	st      *raft.MemoryStorage
	applied int
}

type cluster struct {
	nodes        []*node
	queue, spare []pb.Message
}

func newCluster(n int) *cluster {
	c := &cluster{}
	voters := make([]uint64, n)
	for i := range voters {
		voters[i] = uint64(i + 1)
	}
	logger := &raft.DefaultLogger{Logger: log.New(ioutil.Discard, "", 0)}
	for i := 0; i < n; i++ {
		st := raft.NewMemoryStorage()
		// Every node starts from the same membership, as a snapshot at index 1.
		if err := st.ApplySnapshot(pb.Snapshot{Metadata: pb.SnapshotMetadata{
			Index: 1, Term: 1, ConfState: pb.ConfState{Voters: voters}}}); err != nil {
			panic(err)
		}
		rn, err := raft.NewRawNode(&raft.Config{ID: uint64(i + 1), ElectionTick: 10,
			HeartbeatTick: 1, Storage: st, MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 256,
			Logger: logger})
		if err != nil {
			panic(err)
		}
		c.nodes = append(c.nodes, &node{rn: rn, st: st})
	}
	return c
}

// pump runs every node's Ready/Advance and delivers messages until nothing is left.
func (c *cluster) pump() {
	for {
		progress := false
		for _, nd := range c.nodes {
			if !nd.rn.HasReady() {
				continue
			}
			rd := nd.rn.Ready()
			if !raft.IsEmptyHardState(rd.HardState) {
				nd.st.SetHardState(rd.HardState)
			}
			if len(rd.Entries) > 0 {
				nd.st.Append(rd.Entries)
			}
			c.queue = append(c.queue, rd.Messages...)
			for _, e := range rd.CommittedEntries {
				if e.Type == pb.EntryNormal && len(e.Data) > 0 {
					nd.applied++
				}
			}
			nd.rn.Advance(rd)
			progress = true
		}
		if len(c.queue) > 0 {
			q := c.queue
			c.queue = c.spare[:0]
			for i := range q {
				c.nodes[q[i].To-1].rn.Step(q[i])
				q[i] = pb.Message{}
			}
			c.spare = q
			progress = true
		}
		if !progress {
			return
		}
	}
}

func payload(seq int) []byte {
	d := make([]byte, 128)
	d[0], d[1], d[2] = byte(seq), byte(seq>>8), byte(seq>>16)
	return d
}

func runOnce(n, b, e int, batchProp bool) time.Duration {
	c := newCluster(n)
	leader := c.nodes[0]
	if err := leader.rn.Campaign(); err != nil {
		panic(err)
	}
	c.pump()
	if leader.rn.Status().RaftState != raft.StateLeader {
		panic("node 1 did not become leader")
	}
	start := time.Now()
	for proposed := 0; proposed < e; {
		k := b
		if e-proposed < k {
			k = e - proposed
		}
		if batchProp {
			ents := make([]pb.Entry, k)
			for i := range ents {
				ents[i].Data = payload(proposed + i)
			}
			if err := leader.rn.Step(pb.Message{Type: pb.MsgProp, From: 1, Entries: ents}); err != nil {
				panic(err)
			}
		} else {
			for i := 0; i < k; i++ {
				if err := leader.rn.Propose(payload(proposed + i)); err != nil {
					panic(err)
				}
			}
		}
		proposed += k
		c.pump()
		for _, nd := range c.nodes {
			if nd.applied != proposed {
				panic(fmt.Sprintf("round not applied on every node: %d", proposed))
			}
		}
	}
	return time.Since(start)
}

func main() {
	n := flag.Int("n", 3, "nodes")
	b := flag.Int("b", 1, "entries per round")
	e := flag.Int("e", 200000, "entries")
	reps := flag.Int("reps", 5, "timed repetitions")
	batchProp := flag.Bool("batchprop", false, "propose each round as one MsgProp")
	flag.Parse()
	warm := runOnce(*n, *b, *e, *batchProp)
	fmt.Fprintf(os.Stderr, "warm-up rep: %.0f ns/entry\nall reps (ns/entry):", float64(warm.Nanoseconds())/float64(*e))
	var ds []time.Duration
	for r := 0; r < *reps; r++ {
		d := runOnce(*n, *b, *e, *batchProp)
		fmt.Fprintf(os.Stderr, " %.0f", float64(d.Nanoseconds())/float64(*e))
		ds = append(ds, d)
	}
	fmt.Fprintln(os.Stderr)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ns := float64(ds[len(ds)/2].Nanoseconds()) / float64(*e)
	name := "etcd-raft"
	if *batchProp {
		name = "etcd-raft-batchprop"
	}
	fmt.Printf("peer=%s n=%d b=%d ns_per_entry=%.0f entries_per_s=%.0f\n", name, *n, *b, ns, 1e9/ns)
}
