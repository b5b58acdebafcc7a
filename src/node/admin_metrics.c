/* GET /metrics: the node's state in the Prometheus text format (0.0.4),
 * with names in the style operators know from etcd (etcd_server_has_leader
 * -> redraft_server_has_leader, ...). Every family has its HELP and TYPE;
 * counters end in _total; histograms have cumulative buckets, +Inf, _sum and
 * _count: what `promtool check metrics` asks for (tests/integration checks
 * it). */
#include "node/admin.h"
#include "node/introspect.h"
#include "node/node.h"
#include "node/pubsub.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void family(sbuf_t *b, const char *name, const char *type, const char *help)
{
    sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(sbuf_t *b, const char *name, const char *help, double v)
{
    family(b, name, "gauge", help);
    sb_printf(b, "%s %.17g\n", name, v);
}

static void counter(sbuf_t *b, const char *name, const char *help, uint64_t v)
{
    family(b, name, "counter", help);
    sb_printf(b, "%s %" PRIu64 "\n", name, v);
}

/* One histogram's samples; labels is "" or 'peer="2"'. */
static void histo_samples(sbuf_t *b, const char *name, const char *labels, const histogram_t *h)
{
    const char *sep = labels[0] ? "," : "";
    for (int i = 0; i < h->n; i++)
        sb_printf(b, "%s_bucket{%s%sle=\"%.6g\"} %" PRIu64 "\n", name, labels, sep, h->le[i], histo_cumulative(h, i));
    sb_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep, h->total);
    if (labels[0]) {
        sb_printf(b, "%s_sum{%s} %.9g\n", name, labels, h->sum);
        sb_printf(b, "%s_count{%s} %" PRIu64 "\n", name, labels, h->total);
    } else {
        sb_printf(b, "%s_sum %.9g\n", name, h->sum);
        sb_printf(b, "%s_count %" PRIu64 "\n", name, h->total);
    }
}

/* redraft_commands_total{cmd} and redraft_command_duration_seconds
 * (cmdstats.c): a line only for commands called at least once, so the page
 * stays short although the table has every Redis command we know. */
static void command_metrics(sbuf_t *b, const node_t *n)
{
    family(b, "redraft_commands_total", "counter",
           "Client commands this node received and answered, by command (subcommands under their container; "
           "unknown commands are not counted).");
    for (size_t i = 0; i < n->ncmdstats; i++) {
        const cmd_stat_t *c = &n->cmdstats[i];
        if (c->calls + c->rejected == 0) continue;
        sb_printf(b, "redraft_commands_total{cmd=\"%s\"} %" PRIu64 "\n", cmd_table_at(i)->name,
                  c->calls + c->rejected);
    }
    family(b, "redraft_command_duration_seconds", "histogram",
           "Time from the dispatch of a client command on this node to its reply (writes: to the apply that "
           "answers them, or the leader's answer when proxied; linearizable reads: to their read batch).");
    histo_samples(b, "redraft_command_duration_seconds", "", &n->stats.command_seconds);
}

void admin_metrics(node_t *n, http_request_t *req)
{
    sbuf_t b = {0};
    raft_status_t st;
    raft_status(n->raft, &st);
    const node_stats_t *s = &n->stats;

    gauge(&b, "redraft_server_has_leader", "Whether a leader is known (1) or not (0).", st.leader ? 1 : 0);
    gauge(&b, "redraft_server_is_leader", "Whether this node is the leader (1) or not (0).",
          st.role == RAFT_LEADER ? 1 : 0);
    counter(&b, "redraft_server_leader_changes_seen_total", "Leader changes this node has seen.", s->leader_changes);
    counter(&b, "redraft_server_proposals_committed_total", "Log entries committed (the commit index).", st.commit);
    counter(&b, "redraft_server_proposals_applied_total", "Log entries applied (the applied index).", n->db.applied);
    gauge(&b, "redraft_server_proposals_pending", "Writes proposed here and not yet answered.",
          (double)(n->wn - n->whead));
    counter(&b, "redraft_server_proposals_failed_total",
            "Writes answered with an error because their outcome became unknown (TIMEOUT, TRYAGAIN).",
            s->writes_timed_out + s->writes_lost);

    family(&b, "redraft_disk_log_fsync_duration_seconds", "histogram",
           "Time of a synced raft log write (the write and its fdatasync).");
    histo_samples(&b, "redraft_disk_log_fsync_duration_seconds", "", &s->append_seconds);

    gauge(&b, "redraft_raft_term", "The current raft term.", (double)st.term);
    gauge(&b, "redraft_raft_commit_index", "The commit index.", (double)st.commit);
    gauge(&b, "redraft_raft_applied_index", "The applied index.", (double)n->db.applied);
    gauge(&b, "redraft_raft_last_index", "The last index in the log.", (double)st.last_index);

    peer_stats_t ps[RAFT_MAX_NODES];
    int np = peers_stats(&n->peers, ps, RAFT_MAX_NODES);
    family(&b, "redraft_peer_lag_entries", "gauge", "Entries a member lacks compared with the leader's log (leader only).");
    for (int i = 0; i < st.n_peers; i++) {
        if (st.peers[i].id == n->id) continue;
        uint64_t lag = st.last_index > st.peers[i].match ? st.last_index - st.peers[i].match : 0;
        sb_printf(&b, "redraft_peer_lag_entries{peer=\"%" PRIu64 "\"} %" PRIu64 "\n", st.peers[i].id, lag);
    }
    family(&b, "redraft_peer_round_trip_time_seconds", "histogram",
           "Round trip of raft messages to a peer (a message and its acknowledgement).");
    for (int i = 0; i < np; i++) {
        char labels[48];
        snprintf(labels, sizeof(labels), "peer=\"%" PRIu64 "\"", ps[i].id);
        histo_samples(&b, "redraft_peer_round_trip_time_seconds", labels, ps[i].rtt);
    }
    family(&b, "redraft_peer_connected", "gauge", "Whether the connection to a peer is up (1) or not (0).");
    for (int i = 0; i < np; i++)
        sb_printf(&b, "redraft_peer_connected{peer=\"%" PRIu64 "\"} %d\n", ps[i].id, ps[i].connected ? 1 : 0);
    family(&b, "redraft_pubsub_peer_dropped_total", "counter",
           "Pub/Sub messages not sent to a peer because its link had too much queued.");
    for (int i = 0; i < np; i++)
        sb_printf(&b, "redraft_pubsub_peer_dropped_total{peer=\"%" PRIu64 "\"} %" PRIu64 "\n", ps[i].id,
                  ps[i].pub_dropped);
    size_t chans, pats, shard;
    pubsub_counts(n, &chans, &pats, &shard);
    gauge(&b, "redraft_pubsub_channels", "Channels with a subscriber on this node.", (double)chans);
    gauge(&b, "redraft_pubsub_patterns", "Patterns with a subscriber on this node.", (double)pats);
    gauge(&b, "redraft_pubsub_shard_channels", "Shard channels with a subscriber on this node.", (double)shard);
    counter(&b, "redraft_pubsub_published_total", "PUBLISH and SPUBLISH commands this node took.",
            s->pubsub_published);
    counter(&b, "redraft_pubsub_clients_dropped_total",
            "Subscribers closed because their unsent messages passed the output limit.", s->pubsub_clients_dropped);

    const node_snap_t *sn = &n->snap;
    counter(&b, "redraft_snapshot_made_total", "Snapshots this node made of its state machine.", sn->made);
    counter(&b, "redraft_snapshot_sent_total", "Snapshots sent to followers and installed by them.", sn->sent);
    counter(&b, "redraft_snapshot_received_total", "Snapshots received from a leader and installed.", sn->received);
    counter(&b, "redraft_snapshot_send_failures_total", "Snapshot transfers to followers that failed.",
            sn->send_failed);
    counter(&b, "redraft_snapshot_receive_failures_total", "Snapshot transfers from a leader that failed.",
            sn->recv_failed);
    gauge(&b, "redraft_snapshot_index", "Log index of the latest snapshot.", (double)sn->cur.index);
    gauge(&b, "redraft_snapshot_size_bytes", "Size of the latest snapshot.", (double)sn->cur.bytes);
    gauge(&b, "redraft_snapshot_last_duration_seconds", "How long making the latest snapshot took.",
          (double)sn->last_duration_ms / 1000.0);

    uint64_t first, last;
    store_log_bounds(n->store, &first, &last);
    gauge(&b, "redraft_log_entries", "Entries in the raft log on disk.",
          (double)(last && last >= first ? last - first + 1 : 0));
    gauge(&b, "redraft_log_size_bytes", "Bytes of records in the raft log on disk.", (double)store_log_size(n->store));
    gauge(&b, "redraft_rocksdb_data_size_bytes", "Approximate size of the state machine's data (tables and memtables).",
          (double)store_approx_size(n->store, CF_DATA));
    gauge(&b, "redraft_rocksdb_meta_size_bytes", "Approximate size of the state machine's metadata.",
          (double)store_approx_size(n->store, CF_META));
    gauge(&b, "redraft_keys", "Keys in the database.", (double)n->db.nkeys);

    gauge(&b, "redraft_connected_clients", "Client connections on the RESP port.", n->srv.nclients);
    counter(&b, "redraft_commands_processed_total", "Commands received on the RESP port.",
            n->srv.stats.commands_processed);
    counter(&b, "redraft_reads_served_total", "Linearizable reads served.", s->reads_served);
    command_metrics(&b, n);
    counter(&b, "redraft_raft_messages_received_total", "Raft messages received from peers.", s->msgs_in);
    counter(&b, "redraft_raft_messages_sent_total", "Raft messages sent to peers.", s->msgs_out);
    counter(&b, "redraft_raft_messages_refused_total", "Raft messages from peers that were refused.", s->msgs_bad);

    http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.p ? b.p : "", b.len, NULL);
    free(b.p);
}
