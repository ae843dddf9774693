#!/usr/bin/env python3
"""A small Lambda Runtime API emulator for running the real `bootstrap` outside Lambda.

Serves queued events on GET /2018-06-01/runtime/invocation/next (blocking until one is
queued), records POST .../invocation/<id>/response and .../<id>/error and /runtime/init/error,
and timestamps each hand-out and each answer (time.monotonic()).

Use as a module (RuntimeApi) or run it: `runtime_api.py PORT EVENTS.json` serves the events
of a JSON array once each and prints the recorded results as JSON lines on stdout.
"""

import json
import queue
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class RuntimeApi:
    def __init__(self, port=0):
        self.events = queue.Queue()
        self.results = {}  # request id -> dict
        self.order = []  # request ids in hand-out order
        self.first_next_at = None
        self.done = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without TCP_NODELAY, Nagle plus the
            # client's delayed ACK add ~40 ms to every hand-out.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _reply(self, code, body=b"", headers=None):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != PREFIX + "/invocation/next":
                    return self._reply(404)
                if api.first_next_at is None:
                    api.first_next_at = time.monotonic()
                event = api.events.get()
                if event is None:  # shut down: keep the client waiting no longer
                    return self._reply(500)
                rid = str(uuid.uuid4())
                body = json.dumps(event).encode()
                with api.done:
                    api.order.append(rid)
                    api.results[rid] = {"event": event, "sent_at": time.monotonic()}
                deadline = int((time.time() + 300) * 1000)
                self._reply(
                    200,
                    body,
                    {
                        "Content-Type": "application/json",
                        "Lambda-Runtime-Aws-Request-Id": rid,
                        "Lambda-Runtime-Deadline-Ms": str(deadline),
                        "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:jwks-rotation",
                        "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                    },
                )

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if parts[:2] == ["init", "error"]:
                    with api.done:
                        api.results["init"] = {"error": body.decode(errors="replace"), "at": time.monotonic()}
                        api.done.notify_all()
                    return self._reply(202)
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    rid, kind = parts[1], parts[2]
                    with api.done:
                        r = api.results.setdefault(rid, {})
                        r["kind"] = kind
                        r["body"] = body.decode(errors="replace")
                        r["answered_at"] = time.monotonic()
                        api.done.notify_all()
                    return self._reply(202)
                return self._reply(404)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # A client that goes away (bootstrap terminated mid-/next) is not an error.
                if isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
                    return
                super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def invoke(self, event, timeout=120):
        """Queues one event and waits for its answer; returns the result record."""
        before = len(self.order)
        self.events.put(event)
        deadline = time.monotonic() + timeout
        with self.done:
            while True:
                if "init" in self.results:
                    raise RuntimeError("init error: " + self.results["init"]["error"])
                if len(self.order) > before:
                    rid = self.order[before]
                    if "answered_at" in self.results[rid]:
                        return self.results[rid]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no answer to {event}")
                self.done.wait(left)

    def close(self):
        self.events.put(None)
        self.server.shutdown()


def main():
    port = int(sys.argv[1])
    with open(sys.argv[2]) as f:
        events = json.load(f)
    api = RuntimeApi(port)
    print(f"runtime api on {api.address}", file=sys.stderr, flush=True)
    for event in events:
        print(json.dumps(api.invoke(event)), flush=True)
    api.close()


if __name__ == "__main__":
    main()
