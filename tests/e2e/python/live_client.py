#!/usr/bin/python3
"""A python-socketio (sync Client) follower of one report on reportd's /ws/internal.

Usage: /usr/bin/python3 live_client.py URL TOKEN REPORT_ID TRANSPORT COUNT SECONDS

Connects to URL, namespace /ws/internal, with auth {"token": TOKEN} over TRANSPORT
(websocket or polling, no upgrade and no reconnection), joins report REPORT_ID with an
ack, and prints one JSON line to stdout for each step:
  {"ready": {"sid", "connect", "join", "transport"}}  joined; "connect" is the data of
                                                      the CONNECT reply ({"sid", "pid"?})
  {"args": [...]}                                     a comment.created, every argument
  {"done": n}                                         COUNT events came: exit 0
  {"error": "..."}                                    connect or join failed: exit 1
  {"timeout": n}                                      SECONDS passed first: exit 2
Run it with Debian's /usr/bin/python3 (python3-socketio, python3-websocket and
python3-requests).
"""

import json
import os
import sys
import threading

import socketio

NAMESPACE = '/ws/internal'


def out(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + '\n')
    sys.stdout.flush()


def finish(sio, line, code):
    out(line)
    # A clean disconnect, but never wait on it for long.
    t = threading.Thread(target=sio.disconnect, daemon=True)
    t.start()
    t.join(2)
    os._exit(code)


class Client(socketio.Client):
    """Keeps the data of the CONNECT reply, which the public API reduces to the sid."""

    connect_data = None

    def _handle_connect(self, namespace, data):
        if (namespace or '/') == NAMESPACE and self.connect_data is None:
            self.connect_data = data
        return super()._handle_connect(namespace, data)


def main():
    if len(sys.argv) != 7:
        sys.stderr.write(__doc__)
        sys.exit(64)
    url, token, report_id, transport, count, seconds = sys.argv[1:]
    count, seconds = int(count), float(seconds)

    sio = Client(reconnection=False)
    # Timeout first, so that nothing below can hang the process.
    events = []
    watchdog = threading.Timer(seconds, lambda: finish(sio, {'timeout': len(events)}, 2))
    watchdog.daemon = True
    watchdog.start()

    lock = threading.Lock()

    @sio.on('comment.created', namespace=NAMESPACE)
    def on_comment(*args):
        with lock:
            events.append(args)
            out({'args': list(args)})
            if len(events) >= count:
                threading.Thread(target=finish, args=(sio, {'done': len(events)}, 0), daemon=True).start()

    try:
        sio.connect(url, auth={'token': token}, transports=[transport],
                    namespaces=[NAMESPACE], wait_timeout=min(5, seconds))
        join = sio.call('join_report', {'reportId': int(report_id)}, namespace=NAMESPACE,
                        timeout=min(5, seconds))
    except Exception as err:  # connect_error, ack timeout, ...
        finish(sio, {'error': f'{type(err).__name__}: {err}'}, 1)
    out({'ready': {'sid': sio.get_sid(NAMESPACE), 'connect': sio.connect_data,
                   'join': join, 'transport': sio.transport()}})
    threading.Event().wait()  # the handler or the watchdog ends the process


if __name__ == '__main__':
    main()
