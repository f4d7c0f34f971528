/* W1 for canonical raft 0.15 (Debian libraft-dev) with a minimal in-memory raft_io: sends and
 * appends complete in FIFO order from one pump loop; no fixture, no simulated latency. c-raft
 * tells followers the commit index only with its next AppendEntries, so once the FIFO is empty
 * and some node has not applied the round, the driver advances a simulated clock by one
 * heartbeat interval and ticks every node (free in wall time). Received AppendEntries entries
 * are deep-copied, because the receiving raft takes ownership of them (as with c-raft's own
 * transport); appended payloads are copied into a per-node growable "disk" buffer.
 * Prints one line in the W1 format; per-repetition numbers go to stderr.
 *
 *   minio -n 3 -b 64 -e 200000 -reps 5 [-batch 1]
 */
#define _GNU_SOURCE
#include <raft.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PAYLOAD = 128, MAX_NODES = 8, ELECTION_MS = 1000, HEARTBEAT_MS = 100 };

struct node {
    unsigned idx;
    raft_id id;
    char address[16];
    struct raft raft;
    struct raft_io io;
    struct raft_fsm fsm;
    unsigned long applied;
    raft_io_tick_cb tick;
    raft_io_recv_cb recv;
    raft_term term;
    raft_id vote;
    struct raft_buffer conf;
    unsigned char *disk;
    size_t disk_len, disk_cap;
};

struct completion {
    int is_send;
    struct node *from;
    struct raft_io_send *send;
    struct raft_message msg;
    struct raft_io_append *append;
    const struct raft_entry *entries;
    unsigned n;
};

static struct completion *fifo;
static size_t fifo_head, fifo_tail, fifo_cap;
static raft_time now_ms;
static struct node *nodes[MAX_NODES];
static unsigned n_nodes;

static void push(const struct completion *c)
{
    if (fifo_tail == fifo_cap) {
        fifo_cap = fifo_cap ? 2 * fifo_cap : 1024;
        fifo = realloc(fifo, fifo_cap * sizeof *fifo);
    }
    fifo[fifo_tail++] = *c;
}

static int io_init(struct raft_io *io, raft_id id, const char *a) { (void)io; (void)id; (void)a; return 0; }
static void io_close(struct raft_io *io, raft_io_close_cb cb) { if (cb) cb(io); }
static int io_load(struct raft_io *io, raft_term *term, raft_id *vote, struct raft_snapshot **snap,
                   raft_index *start, struct raft_entry *entries[], size_t *n)
{
    struct node *nd = io->impl;
    *term = nd->term;
    *vote = nd->vote;
    *snap = NULL;
    *start = 1;
    *entries = NULL;
    *n = 0;
    if (nd->conf.len > 0) { /* the bootstrap configuration entry */
        struct raft_entry *e = raft_calloc(1, sizeof *e);
        e->term = 1;
        e->type = RAFT_CHANGE;
        e->buf.len = nd->conf.len;
        e->buf.base = raft_malloc(nd->conf.len);
        memcpy(e->buf.base, nd->conf.base, nd->conf.len);
        e->batch = e->buf.base;
        *entries = e;
        *n = 1;
    }
    return 0;
}
static int io_start(struct raft_io *io, unsigned ms, raft_io_tick_cb tick, raft_io_recv_cb recv)
{
    struct node *nd = io->impl;
    (void)ms;
    nd->tick = tick;
    nd->recv = recv;
    return 0;
}
static int io_bootstrap(struct raft_io *io, const struct raft_configuration *conf)
{
    struct node *nd = io->impl;
    nd->term = 1;
    return raft_configuration_encode(conf, &nd->conf);
}
static int io_recover(struct raft_io *io, const struct raft_configuration *c) { (void)io; (void)c; return RAFT_NOTFOUND; }
static int io_set_term(struct raft_io *io, raft_term t)
{
    struct node *nd = io->impl;
    nd->term = t;
    nd->vote = 0;
    return 0;
}
static int io_set_vote(struct raft_io *io, raft_id id) { ((struct node *)io->impl)->vote = id; return 0; }
static int io_send(struct raft_io *io, struct raft_io_send *req, const struct raft_message *m,
                   raft_io_send_cb cb)
{
    struct completion c = {.is_send = 1, .from = io->impl, .send = req, .msg = *m};
    req->cb = cb;
    push(&c);
    return 0;
}
static int io_append(struct raft_io *io, struct raft_io_append *req, const struct raft_entry es[],
                     unsigned n, raft_io_append_cb cb)
{
    struct completion c = {.is_send = 0, .from = io->impl, .append = req, .entries = es, .n = n};
    req->cb = cb;
    push(&c);
    return 0;
}
static int io_truncate(struct raft_io *io, raft_index i) { (void)io; (void)i; return 0; }
static int io_snapshot_put(struct raft_io *io, unsigned t, struct raft_io_snapshot_put *r,
                           const struct raft_snapshot *s, raft_io_snapshot_put_cb cb)
{
    (void)io; (void)t; (void)r; (void)s; (void)cb;
    abort(); /* snapshots are disabled */
}
static int io_snapshot_get(struct raft_io *io, struct raft_io_snapshot_get *r, raft_io_snapshot_get_cb cb)
{
    (void)io; (void)r; (void)cb;
    abort();
}
static raft_time io_time(struct raft_io *io) { (void)io; return now_ms; }
static int io_random(struct raft_io *io, int min, int max)
{
    return ((struct node *)io->impl)->idx == 0 ? min : max; /* node 1 times out first */
}

static void complete_send(struct completion *c)
{
    struct raft_message m = c->msg;
    struct node *to = nodes[m.server_id - 1];
    if (m.type == RAFT_IO_APPEND_ENTRIES) {
        unsigned n = m.append_entries.n_entries;
        m.append_entries.entries = NULL;
        if (n > 0) { /* the receiver takes ownership: hand it a copy */
            const struct raft_entry *src = c->msg.append_entries.entries;
            size_t size = 0;
            for (unsigned i = 0; i < n; i++) size += src[i].buf.len;
            struct raft_entry *dst = raft_malloc(n * sizeof *dst);
            unsigned char *batch = raft_malloc(size ? size : 1), *at = batch;
            for (unsigned i = 0; i < n; i++) {
                dst[i] = src[i];
                dst[i].buf.base = at;
                dst[i].batch = batch;
                memcpy(at, src[i].buf.base, src[i].buf.len);
                at += src[i].buf.len;
            }
            m.append_entries.entries = dst;
        }
    } else if (m.type == RAFT_IO_INSTALL_SNAPSHOT) {
        abort();
    }
    if (c->send->cb) c->send->cb(c->send, 0);
    m.server_id = c->from->id;
    m.server_address = c->from->address;
    to->recv(&to->io, &m);
}

static void complete_append(struct completion *c)
{
    struct node *nd = c->from;
    for (unsigned i = 0; i < c->n; i++) {
        size_t len = c->entries[i].buf.len;
        if (nd->disk_len + len > nd->disk_cap) {
            nd->disk_cap = 2 * (nd->disk_cap + len);
            nd->disk = realloc(nd->disk, nd->disk_cap);
        }
        memcpy(nd->disk + nd->disk_len, c->entries[i].buf.base, len);
        nd->disk_len += len;
    }
    if (c->append->cb) c->append->cb(c->append, 0);
}

static void pump(void)
{
    while (fifo_head < fifo_tail) {
        struct completion c = fifo[fifo_head++];
        if (c.is_send) complete_send(&c); else complete_append(&c);
        if (fifo_head == fifo_tail) fifo_head = fifo_tail = 0;
    }
}

static void heartbeat(void)
{
    now_ms += HEARTBEAT_MS;
    for (unsigned i = 0; i < n_nodes; i++) nodes[i]->tick(&nodes[i]->io);
    pump();
}

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    (void)buf;
    ((struct node *)fsm->data)->applied++;
    *result = NULL;
    return 0;
}
static void apply_cb(struct raft_apply *req, int status, void *result)
{
    (void)req; (void)result;
    if (status != 0) abort();
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double run_once(unsigned n, unsigned b, unsigned e, int batch)
{
    struct raft_configuration conf;
    n_nodes = n;
    now_ms = 0;
    raft_configuration_init(&conf);
    for (unsigned i = 0; i < n; i++) {
        struct node *nd = calloc(1, sizeof *nd);
        nd->idx = i;
        nd->id = i + 1;
        snprintf(nd->address, sizeof nd->address, "%u", i + 1);
        nd->io = (struct raft_io){.version = 1, .impl = nd, .init = io_init, .close = io_close,
            .load = io_load, .start = io_start, .bootstrap = io_bootstrap, .recover = io_recover,
            .set_term = io_set_term, .set_vote = io_set_vote, .send = io_send, .append = io_append,
            .truncate = io_truncate, .snapshot_put = io_snapshot_put,
            .snapshot_get = io_snapshot_get, .time = io_time, .random = io_random};
        nd->fsm = (struct raft_fsm){.version = 1, .data = nd, .apply = fsm_apply};
        nodes[i] = nd;
        if (raft_configuration_add(&conf, nd->id, nd->address, RAFT_VOTER) != 0) abort();
    }
    for (unsigned i = 0; i < n; i++) {
        struct raft *r = &nodes[i]->raft;
        if (raft_init(r, &nodes[i]->io, &nodes[i]->fsm, nodes[i]->id, nodes[i]->address) != 0) abort();
        raft_set_election_timeout(r, ELECTION_MS);
        raft_set_heartbeat_timeout(r, HEARTBEAT_MS);
        raft_set_snapshot_threshold(r, 2 * e + 1024); /* keep the whole log, like every W1 peer */
        if (raft_bootstrap(r, &conf) != 0 || raft_start(r) != 0) abort();
    }
    raft_configuration_close(&conf);

    struct raft *leader = &nodes[0]->raft;
    for (int t = 0;; t++) { /* election of node 1, untimed */
        int done = raft_state(leader) == RAFT_LEADER;
        for (unsigned i = 0; done && i < n; i++)
            done = raft_last_applied(&nodes[i]->raft) >= raft_last_index(leader);
        if (done) break;
        if (t > 1000) abort();
        heartbeat();
    }

    struct raft_apply *reqs = calloc(b, sizeof *reqs);
    struct raft_buffer *bufs = calloc(b, sizeof *bufs);
    unsigned long base = nodes[0]->applied;
    double start = now_ns();
    for (unsigned proposed = 0; proposed < e;) {
        unsigned k = e - proposed < b ? e - proposed : b;
        for (unsigned i = 0; i < k; i++) {
            unsigned seq = proposed + i;
            bufs[i].len = PAYLOAD;
            bufs[i].base = raft_malloc(PAYLOAD);
            memset(bufs[i].base, 0, PAYLOAD);
            memcpy(bufs[i].base, &seq, sizeof seq);
            if (!batch && raft_apply(leader, &reqs[i], &bufs[i], 1, apply_cb) != 0) abort();
        }
        if (batch && raft_apply(leader, &reqs[0], bufs, k, apply_cb) != 0) abort();
        proposed += k;
        pump();
        for (;;) {
            int all = 1;
            for (unsigned i = 0; all && i < n; i++) all = nodes[i]->applied - base >= proposed;
            if (all) break;
            heartbeat();
        }
    }
    double elapsed = now_ns() - start;
    if (raft_state(leader) != RAFT_LEADER) abort();
    for (unsigned i = 0; i < n; i++) {
        raft_close(&nodes[i]->raft, NULL);
        raft_free(nodes[i]->conf.base);
        free(nodes[i]->disk);
        free(nodes[i]);
    }
    free(reqs);
    free(bufs);
    return elapsed;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    unsigned n = 3, b = 1, e = 200000, reps = 5, batch = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        unsigned v = (unsigned)strtoul(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "-n")) n = v;
        else if (!strcmp(argv[i], "-b")) b = v;
        else if (!strcmp(argv[i], "-e")) e = v;
        else if (!strcmp(argv[i], "-reps")) reps = v;
        else if (!strcmp(argv[i], "-batch")) batch = v;
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    if (n < 1 || n > MAX_NODES || b < 1 || reps < 1) return 2;
    fprintf(stderr, "warm-up rep: %.0f ns/entry\nall reps (ns/entry):", run_once(n, b, e, batch) / e);
    double *t = calloc(reps, sizeof *t);
    for (unsigned r = 0; r < reps; r++) {
        t[r] = run_once(n, b, e, batch);
        fprintf(stderr, " %.0f", t[r] / e);
    }
    fprintf(stderr, "\n");
    qsort(t, reps, sizeof *t, by_value);
    double ns = t[reps / 2] / e;
    printf("peer=%s n=%u b=%u ns_per_entry=%.0f entries_per_s=%.0f\n",
           batch ? "c-raft-minio-batchapply" : "c-raft-minio", n, b, ns, 1e9 / ns);
    free(t);
    return 0;
}
