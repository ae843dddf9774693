#!/usr/bin/env python3
"""A Lambda Runtime API emulator for running the real `bootstrap` binary outside Lambda.

It implements the part of the Runtime API (2018-06-01) a custom runtime uses: the long-polled
`GET /runtime/invocation/next`, `POST /runtime/invocation/{id}/response`,
`POST /runtime/invocation/{id}/error` and `POST /runtime/init/error`. Events are queued with
`RuntimeApi.invoke(event)`, which returns once the function answered.

    with RuntimeApi() as api:
        proc = subprocess.Popen(["bootstrap"], env={**api.lambda_env(), ...})
        result = api.invoke({"action": "cleanup", "secretArn": arn})
        assert result.ok, result.payload

Used by the demo (scripts/demo.py) and the Lambda benchmark. Loopback only.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"


@dataclass
class Result:
    """The function's answer to one invocation."""

    ok: bool
    payload: Any
    request_id: str
    sent_at: float
    answered_at: float

    @property
    def error_type(self) -> str | None:
        if self.ok or not isinstance(self.payload, dict):
            return None
        return self.payload.get("errorType")

    @property
    def error_message(self) -> str | None:
        if self.ok or not isinstance(self.payload, dict):
            return None
        return self.payload.get("errorMessage")


class RuntimeApi:
    """Serves queued events to one runtime process and collects its answers."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, function_name: str = "jwks-rotation") -> None:
        self.function_name = function_name
        self._events: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._answers: dict[str, queue.Queue[tuple[bool, Any, float]]] = {}
        self._lock = threading.Lock()
        self.init_error: Any = None
        self.first_poll_at: float | None = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:  # keep the demo output readable
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                if self.path != f"{PREFIX}/invocation/next":
                    self._reply(404, b'{"errorMessage":"unknown path"}')
                    return
                if api.first_poll_at is None:
                    api.first_poll_at = time.monotonic()
                request_id, body = api._events.get()
                deadline_ms = int((time.time() + 300) * 1000)
                self._reply(
                    200,
                    body,
                    {
                        "Content-Type": "application/json",
                        "Lambda-Runtime-Aws-Request-Id": request_id,
                        "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn": f"arn:aws:lambda:us-east-1:123456789012:function:{api.function_name}",
                        "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0",
                    },
                )

            def do_POST(self) -> None:  # noqa: N802
                body = self._body()
                if self.path == f"{PREFIX}/init/error":
                    api.init_error = _decode(body)
                    self._reply(202, b"{}")
                    return
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    with api._lock:
                        answer = api._answers.get(parts[1])
                    if answer is None:
                        self._reply(400, b'{"errorMessage":"unknown request id"}')
                        return
                    answer.put((parts[2] == "response", _decode(body), time.monotonic()))
                    self._reply(202, b"{}")
                    return
                self._reply(404, b'{"errorMessage":"unknown path"}')

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        """`host:port`, the value of AWS_LAMBDA_RUNTIME_API."""
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def lambda_env(self, memory_mb: int = 128) -> dict[str, str]:
        """The variables the Lambda service sets for a custom runtime."""
        return {
            "AWS_LAMBDA_RUNTIME_API": self.address,
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "_HANDLER": "bootstrap",
        }

    def start(self) -> "RuntimeApi":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "RuntimeApi":
        return self.start()

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    def invoke(self, event: Any, timeout: float = 120.0) -> Result:
        """Queues `event`, waits for the function's answer and returns it."""
        request_id = str(uuid.uuid4())
        answer: queue.Queue[tuple[bool, Any, float]] = queue.Queue()
        with self._lock:
            self._answers[request_id] = answer
        sent_at = time.monotonic()
        self._events.put((request_id, json.dumps(event).encode()))
        try:
            ok, payload, answered_at = answer.get(timeout=timeout)
        except queue.Empty as exc:
            raise TimeoutError(f"no answer to {event!r} within {timeout}s (init error: {self.init_error!r})") from exc
        finally:
            with self._lock:
                self._answers.pop(request_id, None)
        return Result(ok, payload, request_id, sent_at, answered_at)


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body.decode(errors="replace")
