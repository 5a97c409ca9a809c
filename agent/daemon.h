/*  daemon.h — the cchc-agent service: one single-threaded loop (zmq_poll
    over the collector socket, the running commands' pipes and a self-pipe
    for signals) that runs the sources on their intervals, freezes pending
    observations into messages, pumps the sender and writes its state into
    the outbox for `cchc-agent status`.

    Signals: SIGTERM / SIGINT stop cleanly (running commands are killed, the
    outbox is closed; nothing in flight is lost: unacknowledged messages are
    sent again on the next start).  SIGHUP re-reads the configuration file
    and replaces the sources and the log level (other settings need a
    restart, which the log says).

    State keys written (table `state`, text values, times UTC ms):
      pid, version, unit, agent_key, started, heartbeat, stopped (0 while
      running), endpoint, acked_endpoint, last_ack, last_send, last_error,
      clock_ahead (ms our clock is ahead of the collector's, from the last
      ack's "time"; negative: behind), key_problem (0, or the reason code of the last seq-0 ack: 32
      unknown_agent, 16 bad_signature, ...), inflight, delivered
*/
#ifndef CCHC_AGENT_DAEMON_H
#define CCHC_AGENT_DAEMON_H

#include <stddef.h>

/*  Run until SIGTERM / SIGINT.  config_path may be NULL (defaults and
    overrides only); sets are "section.key=value" overrides, re-applied on
    every reload.  Returns the process exit status (0 after a clean stop,
    1 when it could not start). */
int cchc_daemon_run (const char *config_path, char *const *sets, size_t nsets);

/*  Liveness and disk writes.  A running daemon holds an exclusive flock on
    OUTBOX.lock (its pid written inside): `status` tests that lock, so a
    dead daemon is seen at once whatever killed it, and nothing has to be
    written to prove the daemon lives.  The state above (and the sources'
    run counters, kept in memory meanwhile) is saved in one transaction
    within a second of anything `status` shows changing (an ack, an error, a
    source's outcome, values queued) and otherwise every status.heartbeat
    (default 1 h): an idle agent writes a few KiB an hour, not 118 MiB a day.
    A daemon holding the lock whose last save is older than status.heartbeat
    + status.stale_after is reported as not responding. */

#endif
