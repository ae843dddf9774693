"""A folder of release artifacts served over HTTP on loopback, with an access log.

Stands in for the download host of a release (the `pluginDownloadURL` of the package): the
Pulumi CLI fetches `<url>/pulumi-resource-<name>-v<version>-<os>-<arch>.tar.gz` from it. Every
request is recorded (method, path, status), so a test can tell what the CLI downloaded.
"""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class ReleaseServer:
    def __init__(self, folder):
        self.folder = str(folder)
        self.requests = []  # (method, path, status), in arrival order
        self._lock = threading.Lock()
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def log_request(self, code="-", size="-"):
                with server._lock:
                    server.requests.append((self.command, self.path, int(code)))

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=self.folder))
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()

    def log(self):
        with self._lock:
            return list(self.requests)

    def clear(self):
        with self._lock:
            self.requests.clear()
