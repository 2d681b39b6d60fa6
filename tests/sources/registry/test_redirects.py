"""Security rules of the transport against a real local HTTPS server (certificate from a test
CA): no HTTPS -> HTTP downgrade by redirect, no credentials to a plain-HTTP token service."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gate.errors import RegistryError
from gate.sources.registry.challenge import Challenge
from gate.sources.registry.options import RegistryOptions
from gate.sources.registry.transport import Transport
from tests.registry_fixtures import TestCA, _write_key_pair


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/v2/":
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(307)
        # A plain-HTTP address that is not loopback: must never be contacted.
        self.send_header("Location", "http://192.0.2.10/blob?X-Amz-Signature=abc")
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ca = TestCA()
    cert, key = ca.issue("127.0.0.1", ip="127.0.0.1")
    cert_path, key_path = _write_key_pair(tmp_path, "server", cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", ca.write_pem(tmp_path / "ca.pem")
    server.shutdown()
    server.server_close()


def test_redirect_from_https_to_plain_http_is_refused(https_server: tuple[str, Path]) -> None:
    host, bundle = https_server
    transport = Transport(host, RegistryOptions(ca_bundle=str(bundle), retries=0, timeout=5))
    with pytest.raises(RegistryError, match=r"redirected from HTTPS to plain HTTP "
                                            r"\(192\.0\.2\.10/blob\); refused") as refused:
        transport.request("GET", "/v2/team/app/blobs/sha256:" + "a" * 64, scope=None)
    assert transport.scheme == "https"
    assert "X-Amz-Signature" not in str(refused.value)


def test_no_credentials_to_a_plain_http_token_service(https_server: tuple[str, Path]) -> None:
    host, bundle = https_server
    transport = Transport(host, RegistryOptions(ca_bundle=str(bundle), retries=0))
    transport.auth.learn([Challenge("bearer", {"realm": "http://auth.example/token",
                                               "service": "registry"})], "GET /v2/")
    with pytest.raises(RegistryError, match=r"plain-HTTP token service .*refused"):
        transport.auth.headers_for("repository:team/app:pull")
