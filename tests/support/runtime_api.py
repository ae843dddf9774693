#!/usr/bin/env python3
"""A small Lambda Runtime API emulator for running the real `bootstrap` outside Lambda.

Serves queued events on GET /2018-06-01/runtime/invocation/next (blocking until one is
queued), records POST .../invocation/<id>/response and .../<id>/error and /runtime/init/error,
and timestamps each hand-out and each answer (time.monotonic()).

Use as a module (RuntimeApi) or run it: `runtime_api.py PORT EVENTS.json` serves the events
of a JSON array once each and prints the recorded results as JSON lines on stdout.

`Rie` runs a function under AWS's own emulator instead (aws-lambda-rie, built by
scripts/ensure-rie.sh) and answers `invoke` with the same records. RIE runs one instance of
one function, invocations one at a time, and spawns the runtime itself: tests that crash the
runtime between calls or hand out invocations concurrently keep RuntimeApi.
"""

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
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


RIE_INVOKE_PATH = "/2015-03-31/functions/function/invocations"


def loopback_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rie:
    """One function instance under AWS's Runtime Interface Emulator (aws-lambda-rie).

    RIE serves the Runtime API to the runtime it spawns (`command`, started lazily by the first
    invocation: that is the cold start) and takes invocations over HTTP (POST RIE_INVOKE_PATH).
    It forwards its own environment to the runtime, with AWS_LAMBDA_RUNTIME_API set to its own
    address. Both addresses are free loopback ports, so several instances can run at once.
    Its output (START/END/REPORT lines and the runtime's own output) goes to `log_path`.
    """

    def __init__(self, rie_bin, command, env, log_path, timeout=60.0):
        self.port = loopback_port()
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.results = {}
        self.order = []
        argv = [
            str(rie_bin),
            "--log-level", "info",
            "--runtime-api-address", f"127.0.0.1:{loopback_port()}",
            "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
            *map(str, command),
        ]
        # Own process group: close() ends RIE and the runtime it spawned, and nothing else.
        self.proc = subprocess.Popen(
            argv, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_listening(timeout)

    def _wait_listening(self, timeout):
        """Waits until RIE accepts connections on its invoke port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"aws-lambda-rie exited with code {self.proc.returncode}; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"aws-lambda-rie did not listen on port {self.port} within {timeout:.0f}s")

    def invoke(self, event, timeout=120):
        """Invokes the function once; returns a record like RuntimeApi.invoke's.

        RIE answers 200 with the function's payload both for a response and for an error
        posted to /invocation/<id>/error (it does not pass on X-Amz-Function-Error): an
        answer that is an {"errorType", "errorMessage"} object, or any non-200 status (init
        failure, crash, timeout), is recorded as kind "error".
        """
        rid = str(uuid.uuid4())
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{RIE_INVOKE_PATH}",
            data=json.dumps(event).encode(),
            headers={"Content-Type": "application/json", "X-Amzn-RequestId": rid},
            method="POST",
        )
        record = {"event": event, "sent_at": time.monotonic()}
        self.order.append(rid)
        self.results[rid] = record
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, body = err.code, err.read()
        record["answered_at"] = time.monotonic()
        record["status"] = status
        record["body"] = body.decode(errors="replace")
        record["kind"] = "error" if status != 200 or is_error_payload(record["body"]) else "response"
        if status != 200 and not record["body"]:
            record["body"] = json.dumps({"errorType": f"HTTP{status}", "errorMessage": f"aws-lambda-rie answered {status}"})
        return record

    def init_duration_ms(self):
        """RIE's own measure of the cold start, from the runtime's exec to its first /next
        (its `INIT REPORT(durationMs: ...)` log line), or None."""
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            found = re.search(r"INIT REPORT\(durationMs: ([0-9.]+)\)", f.read())
        return float(found.group(1)) if found else None

    def close(self):
        """Ends RIE and the runtime it spawned (their process group), then closes the log."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:  # the runtime may outlive RIE for a moment
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.log.close()


def is_error_payload(body):
    """True when a function's answer is a Lambda error document ({"errorType", "errorMessage"})."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and "errorType" in doc and "errorMessage" in doc and "outcome" not in doc


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
