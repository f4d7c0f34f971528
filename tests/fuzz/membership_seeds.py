#!/usr/bin/env python3
"""Writes the membership seed inputs of the raft_node fuzz target into
tests/fuzz/corpus/raft_node/membership-*.

Each seed is a short scripted run of the all-features build (first byte 0): elections, a joint
change and its automatic second step, a leader removing itself, configuration entries from a
leader that demote node 1, and snapshots with a well-formed or a garbage configuration header.
The bytes follow the harness's decoding (tests/fuzz/raft_node.cpp and fuzz.hpp):
FuzzedDataProvider takes integers from the END of the input, one byte for any range below 256,
so a run is written as the list of values in the order the harness reads them, then reversed.

    python3 tests/fuzz/membership_seeds.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "raft_node")


class Run:
    def __init__(self):
        self.values = []  # bytes in the order the harness consumes them

    # ---- reader primitives ------------------------------------------------------------
    def byte(self, v):
        self.values.append(v & 0xFF)

    def flag(self, b):
        self.byte(1 if b else 0)

    def range(self, lo, hi, v):
        assert lo <= v <= hi and hi - lo < 256
        self.byte(v - lo)

    def near(self, delta):  # base + delta, delta in -2..3 (never below 0)
        assert -2 <= delta <= 3
        self.byte(delta + 2)

    def node(self, n):  # one of the cluster's ids 1..4
        assert 1 <= n <= 4
        self.byte(n - 1)

    def event(self, e):
        self.range(0, 14, e)

    # ---- events ---------------------------------------------------------------------------
    def campaign(self):
        self.event(10)

    def pre_vote_grant(self, frm):  # for term + 1
        self.event(1)
        self.near(1)
        self.node(frm)
        self.flag(True)
        self.flag(True)

    def vote_grant(self, frm):  # in the current term
        self.event(1)
        self.near(0)
        self.node(frm)
        self.flag(True)
        self.flag(False)

    def durable(self):
        self.event(8)
        self.byte(0)  # complete every write

    def ack(self, frm):  # a successful AppendEntries answer for our last index
        self.event(4)
        self.near(0)
        self.node(frm)
        self.flag(True)
        self.near(0)  # index: last
        self.near(0)  # hint index
        self.near(0)  # hint term
        self.near(0)  # last index
        self.flag(False)

    def timeout(self):
        self.event(6)
        self.flag(True)  # to the node's deadline

    def configuration(self, voters, learners, outgoing=None, allow_joint=True):
        """random_configuration(): arbitrary sets (how 0)."""
        self.range(0, 3, 0)
        self.byte(sum(1 << (n - 1) for n in voters))
        self.byte(sum(1 << (n - 1) for n in learners))
        if allow_joint:
            self.flag(outgoing is not None)
            if outgoing is not None:
                self.byte(sum(1 << (n - 1) for n in outgoing))

    def propose_configuration(self, moves, mode):
        """moves: [(node, 'voter' | 'learner' | 'remove')] applied to config(); mode 0
        automatic, 1 joint, 2 single_server."""
        self.event(12)
        self.range(0, 15, 1)  # the target is not joint
        self.range(0, 3, 2)  # config() with moves
        self.range(1, 2, len(moves))
        for n, to in moves:
            self.range(1, 6, n)
            self.range(0, 2, {"voter": 0, "learner": 1, "remove": 2}[to])
        self.range(0, 2, mode)

    def append_configuration(self, frm, term_delta, voters, learners, commit_delta=0):
        """AppendEntries from `frm` with one configuration entry after our last entry."""
        self.event(2)
        self.near(term_delta)
        self.node(frm)
        self.flag(True)  # prev near our last index
        self.near(0)  # prev = last
        self.flag(True)  # prev term: ours there
        self.near(commit_delta)  # leader commit
        self.flag(False)
        self.range(0, 4, 1)  # one entry
        self.range(0, 15, 1)  # not wild
        self.flag(True)  # the entry's term: prev term + 1 (at most the message's term)
        self.range(0, 1, 1)
        self.byte(ord("c"))
        self.range(0, 3, 0)  # a configuration entry
        self.configuration(voters, learners)
        self.range(0, 7, 7)  # well formed

    def heartbeat(self, frm, commit_delta):
        self.event(2)
        self.near(0)
        self.node(frm)
        self.flag(True)
        self.near(0)
        self.flag(True)
        self.near(commit_delta)
        self.flag(True)
        self.range(0, 4, 0)
        self.range(0, 15, 1)

    def snapshot(self, frm, index_delta, voters=None, learners=(), garbage=None):
        """InstallSnapshot at commit + index_delta, whole, with a well-formed configuration
        header (voters, learners) or `garbage` header bytes claiming length len(garbage) + 3."""
        self.event(13)
        self.near(1)
        self.node(frm)
        self.flag(False)  # near the commit index
        self.near(index_delta)
        self.flag(False)
        self.near(1)  # last term
        if garbage is None:
            self.range(0, 5, 0)
            self.flag(False)  # not joint
            self.configuration(voters, learners, allow_joint=False)
        else:
            self.range(0, 5, 3)
            self.flag(False)
            self.range(0, 24, len(garbage) + 3)
            self.range(0, 24, len(garbage))
            for b in garbage:
                self.byte(b)
        self.range(0, 3, 2)  # two state machine bytes
        self.byte(0xAA)
        self.byte(0xBB)
        self.range(0, 3, 1)  # in one chunk

    def restart(self):
        self.event(11)
        self.range(0, 3, 0)
        self.byte(1)  # crash: torn writes

    def lead(self):
        """Node 1 wins term 1 with node 2's vote and commits its no-op with node 2."""
        self.campaign()
        self.pre_vote_grant(2)
        self.durable()
        self.vote_grant(2)
        self.durable()
        self.ack(2)

    def bytes(self):
        return bytes([0]) + bytes(reversed(self.values))


def joint_change():
    r = Run()
    r.lead()
    r.ack(4)  # learner 4 caught up
    r.propose_configuration([(4, "voter")], mode=1)  # joint: {1,2,3,4} / {1,2,3}
    r.durable()
    r.ack(2)
    r.ack(4)  # C_old,new commits; the leader appends C_new
    r.durable()
    r.ack(2)
    r.ack(3)
    r.ack(4)
    r.propose_configuration([(3, "learner"), (4, "remove")], mode=0)  # two voters: joint
    r.durable()
    r.ack(2)
    r.timeout()
    r.restart()
    r.timeout()
    return r


def leader_removes_itself():
    r = Run()
    r.lead()
    r.propose_configuration([(1, "remove")], mode=0)  # single server: voters {2, 3}
    r.durable()
    r.ack(2)
    r.ack(3)  # C_new commits: node 1 steps down and never campaigns again
    for _ in range(4):
        r.timeout()
    r.campaign()
    return r


def demoted_by_configuration_entry():
    r = Run()
    r.append_configuration(2, 1, voters=[2, 3], learners=[1, 4])
    r.durable()
    r.timeout()  # uncommitted: node 1 may still campaign (thesis 4.2.2)
    r.timeout()
    r.heartbeat(2, 0)  # commits it
    r.durable()
    for _ in range(3):
        r.timeout()
    r.campaign()
    r.restart()
    r.timeout()
    return r


def snapshots_with_configurations():
    r = Run()
    r.snapshot(2, 3, voters=[2, 3, 4], learners=[1])  # node 1 becomes a learner
    r.durable()
    r.timeout()
    r.timeout()
    r.snapshot(3, 2, garbage=[0xFF, 0x01, 0x07])  # header claims more bytes than it has
    r.durable()
    r.timeout()
    r.restart()
    r.timeout()
    r.snapshot(2, 3, voters=[1, 2, 3], learners=[4])  # a voter again
    r.durable()
    r.timeout()
    r.timeout()
    return r


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = [("joint-change", joint_change), ("leader-removes-itself", leader_removes_itself),
             ("demoted-by-entry", demoted_by_configuration_entry),
             ("snapshot-configurations", snapshots_with_configurations)]
    for name, run in seeds:
        with open(os.path.join(OUT, "membership-" + name), "wb") as f:
            f.write(run().bytes())


if __name__ == "__main__":
    main()
