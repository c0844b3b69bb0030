"""A Sentry ingestion endpoint on 127.0.0.1 that keeps the envelopes it receives.

The SDK talks to it over real HTTP with its real transport, so the test covers the DSN,
the client options and the serialised events, not a mock.
"""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sentry_sdk.envelope import Envelope


class SentryServer:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://publickey@{host!s}:{port}/1"

    def events(self) -> list[dict[str, Any]]:
        """Error and message events received so far (not transactions, not logs)."""
        with self._lock:
            return [
                item.payload.json
                for envelope in self.envelopes
                for item in envelope.items
                if item.type == "event" and item.payload.json is not None
            ]

    def __enter__(self) -> SentryServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with server._lock:
                    server.envelopes.append(Envelope.deserialize(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output to the app's own lines

        return Handler
