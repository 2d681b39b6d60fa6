"""A real OCI registry on loopback for tests, and what goes with it (reusable by every test).

* :class:`RegistryServer`: Debian's ``docker-registry`` (distribution 2.8) on 127.0.0.1 and a
  free port - plain, with htpasswd Basic auth, with token auth against a
  :class:`TokenIssuer` the test runs (distribution ``auth: token:`` with a rootcertbundle;
  the issuer signs ES256 JWTs with an ``x5c`` chain made here with ``cryptography``), or
  with TLS from a :class:`TestCA`.
* :class:`FaultProxy`: a tiny HTTP proxy in front of a real registry for what a registry
  cannot do on demand: 5xx/429 answers, stalls, corrupted or truncated blobs, blob redirects
  to another host, and the OCI 1.1 referrers API (distribution 2.8 has none; the proxy
  answers it from a table, in the shape of distribution spec 1.1 "Listing Referrers").
* :func:`push_image` (``skopeo copy``, OCI or ``--format v2s2``, multi-platform with
  ``--all``) and :func:`push_artifact` (blobs and a manifest through the distribution API),
  for signature artifacts made with :mod:`gate.testing.signature_writer`.

Fixtures (session-scoped per xdist worker, started on first use): ``plain_registry``,
``basic_registry``, ``token_registry``, ``tls_registry``; function-scoped ``fault_proxy``
(in front of ``plain_registry``). Credentials are made at run time.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http.client
import ipaddress
import json
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from gate.testing.image_writer import Built, ImageSpec, write_oci_layout
from gate.testing.signature_writer import Artifact

TOOLS = ("docker-registry", "skopeo", "htpasswd")


def require_registry_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"registry test tools missing: {', '.join(missing)} (scripts/test.sh "
                    "installs docker-registry, skopeo and apache2-utils)")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout tests) or a stopped upstream: not a test failure.
        pass


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- certificates ---------------------------------------------------------------------------


class TestCA:
    """A CA made for one test session; issues ECDSA P-256 leaf certificates."""

    __test__ = False

    def __init__(self, name: str = "gate test CA") -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def issue(self, common_name: str, ip: str | None = None) -> tuple[Any, Any]:
        """(certificate, private key) signed by this CA; ``ip`` becomes an IP SAN."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
        )
        if ip is not None:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                critical=False)
        return builder.sign(self.key, hashes.SHA256()), key

    def write_pem(self, path: Path) -> Path:
        from cryptography.hazmat.primitives import serialization

        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return path


def _write_key_pair(directory: Path, name: str, cert: Any, key: Any) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization

    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


# -- token issuer ---------------------------------------------------------------------------


@dataclass
class TokenRequest:
    method: str
    scopes: list[str]
    user: str | None
    """Who authenticated (None: anonymous)."""


class TokenIssuer:
    """The token service of distribution ``docs/spec/auth/token.md`` (and ``oauth.md``'s
    refresh-token POST), signing ES256 JWTs whose ``x5c`` chains to :attr:`root_pem`."""

    def __init__(self, directory: Path, *, service: str = "gate-test-registry",
                 issuer: str = "gate-test-issuer") -> None:
        self.service = service
        self.issuer = issuer
        self.users: dict[str, str] = {}
        self.identity_tokens: dict[str, str] = {}
        """refresh token -> user."""
        self.public_repositories: set[str] = set()
        """Names (or ``prefix/``) anyone may pull."""
        self.requests: list[TokenRequest] = []
        self._ca = TestCA("gate test token CA")
        self._leaf, self._leaf_key = self._ca.issue("gate test token signer")
        self.root_pem = self._ca.write_pem(directory / "token-root.pem")
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def add_user(self, name: str) -> str:
        """Register ``name`` with a fresh random password (returned)."""
        password = "pw-" + secrets.token_urlsafe(18)
        self.users[name] = password
        return password

    def add_identity_token(self, user: str) -> str:
        token = "idt-" + secrets.token_urlsafe(24)
        self.identity_tokens[token] = user
        return token

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def token(self, user: str | None, scopes: list[str]) -> str:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = [a for a in actions.split(",") if a]
            public = any(name == p or (p.endswith("/") and name.startswith(p))
                         for p in self.public_repositories)
            granted = wanted if user else (["pull"] if public and "pull" in wanted else [])
            if granted:
                access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        leaf_der = self._leaf.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(leaf_der).decode()]}
        claims = {"iss": self.issuer, "sub": user or "", "aud": self.service, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing_input = f"{_b64url(json.dumps(header).encode())}." \
                        f"{_b64url(json.dumps(claims).encode())}"
        der = self._leaf_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, doc: Mapping[str, Any]) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                scopes = [s for value in query.get("scope", []) for s in value.split(" ")]
                user = None
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    name, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    if issuer.users.get(name) != password:
                        issuer.requests.append(TokenRequest("GET", scopes, None))
                        self._answer(401, {"details": "incorrect username or password"})
                        return
                    user = name
                issuer.requests.append(TokenRequest("GET", scopes, user))
                if url.path != "/token" or query.get("service", [""])[0] != issuer.service:
                    self._answer(400, {"details": "unknown service"})
                    return
                self._answer(200, {"token": issuer.token(user, scopes), "expires_in": 300,
                                   "issued_at": dt.datetime.now(dt.timezone.utc).isoformat()})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                scopes = [s for value in form.get("scope", []) for s in value.split(" ")]
                refresh = form.get("refresh_token", [""])[0]
                user = issuer.identity_tokens.get(refresh)
                issuer.requests.append(TokenRequest("POST", scopes, user))
                if form.get("grant_type", [""])[0] != "refresh_token" or user is None:
                    self._answer(401, {"error": "invalid_grant"})
                    return
                self._answer(200, {"access_token": issuer.token(user, scopes),
                                   "expires_in": 300, "scope": " ".join(scopes)})

        return Handler


# -- the registry ---------------------------------------------------------------------------


@dataclass
class RegistryServer:
    """A running ``docker-registry serve``; stop it with :meth:`stop` (by its PID)."""

    host: str
    """``127.0.0.1:PORT``."""
    process: subprocess.Popen[bytes]
    root: Path
    scheme: str = "http"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    issuer: TokenIssuer | None = None
    ca_bundle: Path | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"

    @classmethod
    def start(
        cls,
        root: Path,
        *,
        basic_user: str | None = None,
        issuer: TokenIssuer | None = None,
        ca: TestCA | None = None,
    ) -> RegistryServer:
        require_registry_tools()
        root.mkdir(parents=True, exist_ok=True)
        port = free_port()
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(root / "data")},
                        "delete": {"enabled": True}},
            "http": {"addr": f"127.0.0.1:{port}", "secret": secrets.token_hex(16)},
        }
        password = None
        if basic_user is not None:
            password = "pw-" + secrets.token_urlsafe(18)
            htpasswd = subprocess.run(["htpasswd", "-Bbn", basic_user, password], check=True,
                                      capture_output=True).stdout
            (root / "htpasswd").write_bytes(htpasswd)
            config["auth"] = {"htpasswd": {"realm": "gate-test", "path": str(root / "htpasswd")}}
        if issuer is not None:
            config["auth"] = {"token": {"realm": issuer.realm, "service": issuer.service,
                                        "issuer": issuer.issuer,
                                        "rootcertbundle": str(issuer.root_pem)}}
        scheme, bundle = "http", None
        if ca is not None:
            cert, key = ca.issue("127.0.0.1", ip="127.0.0.1")
            cert_path, key_path = _write_key_pair(root, "registry", cert, key)
            config["http"]["tls"] = {"certificate": str(cert_path), "key": str(key_path)}
            bundle = ca.write_pem(root / "ca.pem")
            scheme = "https"
        # JSON is YAML: no YAML writer needed.
        (root / "config.yml").write_text(json.dumps(config))
        log = open(root / "registry.log", "wb")  # noqa: SIM115 - owned by the process
        process = subprocess.Popen(["docker-registry", "serve", str(root / "config.yml")],
                                   stdout=log, stderr=subprocess.STDOUT)
        log.close()
        server = cls(host=f"127.0.0.1:{port}", process=process, root=root, scheme=scheme,
                     username=basic_user, password=password, issuer=issuer, ca_bundle=bundle)
        server._wait_ready()
        return server

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.root / "registry.log").read_text(errors="replace")
                pytest.fail(f"docker-registry exited at start: {log[-2000:]}")
            try:
                requests.get(f"{self.url}/v2/", timeout=1,
                             verify=str(self.ca_bundle) if self.ca_bundle else True)
                return
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        pytest.fail("docker-registry did not answer on /v2/ within 15 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def creds(self) -> str | None:
        """``user:password`` for skopeo ``--dest-creds``."""
        return f"{self.username}:{self.password}" if self.username else None

    def auth(self) -> Any:
        """requests auth for the distribution API (Basic, or a token from the issuer)."""
        if self.username and self.password:
            return (self.username, self.password)
        return None

    def headers_for(self, repository: str, actions: str = "pull,push") -> dict[str, str]:
        if self.issuer is None:
            return {}
        user = next(iter(self.issuer.users), None)
        token = self.issuer.token(user, [f"repository:{repository}:{actions}"])
        return {"Authorization": f"Bearer {token}"}

    def raw_manifest(self, repository: str, reference: str) -> tuple[bytes, str]:
        """The manifest bytes and the registry's ``Docker-Content-Digest`` for them."""
        accept = ", ".join([
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json"])
        response = requests.get(f"{self.url}/v2/{repository}/manifests/{reference}",
                                headers={"Accept": accept, **self.headers_for(repository)},
                                auth=self.auth(), timeout=10, verify=self._verify())
        response.raise_for_status()
        return response.content, response.headers["Docker-Content-Digest"]

    def _verify(self) -> str | bool:
        return str(self.ca_bundle) if self.ca_bundle else True


def push_image(
    registry: RegistryServer,
    reference: str,
    image: ImageSpec | Built,
    work: Path,
    *,
    docker_format: bool = False,
) -> str:
    """Push ``image`` (built with :mod:`gate.testing.image_writer`) as ``repo:tag`` with
    ``skopeo copy`` (``--all`` for an index, ``--format v2s2`` for Docker media types);
    returns the digest the registry stores it under."""
    layout = work / f"layout-{secrets.token_hex(4)}"
    write_oci_layout(layout, image, tag="src")
    cmd = ["skopeo", "copy", "--quiet", "--all"]
    if docker_format:
        cmd += ["--format", "v2s2"]
    else:
        # Keep the layers as built (skopeo would gzip uncompressed layers on the way).
        cmd += ["--preserve-digests"]
    if registry.ca_bundle is not None:
        certs = work / f"certs-{secrets.token_hex(4)}"
        certs.mkdir()
        shutil.copy(registry.ca_bundle, certs / "ca.crt")
        cmd += ["--dest-cert-dir", str(certs)]
    else:
        cmd += ["--dest-tls-verify=false"]
    if registry.issuer is not None:
        user = next(iter(registry.issuer.users))
        cmd += ["--dest-creds", f"{user}:{registry.issuer.users[user]}"]
    elif registry.creds:
        cmd += ["--dest-creds", registry.creds]
    cmd += [f"oci:{layout}:src", f"docker://{registry.host}/{reference}"]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"skopeo copy failed: {done.stderr.decode(errors='replace')[-2000:]}")
    repository, _, tag = reference.rpartition(":")
    return registry.raw_manifest(repository, tag)[1]


def push_artifact(
    registry: RegistryServer, repository: str, artifact: Artifact, reference: str | None = None
) -> str:
    """Upload ``artifact``'s blobs (POST + PUT, distribution spec "Pushing blobs") and PUT
    its manifest as ``reference`` (a tag, or by digest when None); returns its digest."""
    session = requests.Session()
    session.auth = registry.auth()
    session.headers.update(registry.headers_for(repository))
    session.verify = registry._verify()
    base = f"{registry.url}/v2/{repository}"
    for digest, data in artifact.blobs.items():
        if session.head(f"{base}/blobs/{digest}", timeout=10).status_code == 200:
            continue
        started = session.post(f"{base}/blobs/uploads/", timeout=10)
        assert started.status_code == 202, started.text
        location = started.headers["Location"]
        if location.startswith("/"):
            location = registry.url + location
        sep = "&" if "?" in location else "?"
        done = session.put(f"{location}{sep}digest={digest}", data=data, timeout=30,
                           headers={"Content-Type": "application/octet-stream"})
        assert done.status_code == 201, done.text
    put = session.put(f"{base}/manifests/{reference or artifact.digest}", data=artifact.manifest,
                      headers={"Content-Type": artifact.media_type}, timeout=10)
    assert put.status_code == 201, put.text
    assert put.headers.get("Docker-Content-Digest") == artifact.digest
    return artifact.digest


# -- fault proxy ----------------------------------------------------------------------------


@dataclass
class Fault:
    pattern: re.Pattern[str]
    kind: str
    """``status``, ``stall``, ``corrupt``, ``truncate``, ``redirect``."""
    times: int | None
    """How many matching requests it applies to (None: all)."""
    status: int = 500
    seconds: float = 0.0
    after: int = 0
    target: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    def take(self) -> bool:
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]


_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authorization", "proxy-authenticate"}


class FaultProxy:
    """Forwards to ``upstream`` (a real registry) except where a fault says otherwise."""

    def __init__(self, upstream: str, *, host: str = "127.0.0.1",
                 upstream_headers: Mapping[str, str] | None = None) -> None:
        self.upstream = upstream
        self.upstream_headers = dict(upstream_headers or {})
        self.faults: list[Fault] = []
        self.seen: list[SeenRequest] = []
        self.referrers: dict[str, list[dict[str, Any]]] | None = None
        """subject digest -> descriptors: when set, the proxy answers the referrers API."""
        self.apply_artifact_type_filter = True
        self._lock = threading.Lock()
        self._server = _QuietServer((host, 0), self._handler())
        self.host = f"{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def add(self, pattern: str, kind: str, times: int | None = 1, **kwargs: Any) -> Fault:
        fault = Fault(re.compile(pattern), kind, times, **kwargs)
        self.faults.append(fault)
        return fault

    def requests_to(self, pattern: str) -> list[SeenRequest]:
        regex = re.compile(pattern)
        return [seen for seen in self.seen if regex.search(seen.path)]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.pattern.search(path) and fault.take():
                    return fault
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle(self) -> None:
                # A TLS ClientHello (record type 0x16): answer like Go's HTTP server does,
                # at once, instead of waiting for a request line that never comes.
                with contextlib.suppress(OSError):
                    if self.connection.recv(1, socket.MSG_PEEK) == b"\x16":
                        self.connection.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
                        return
                super().handle()

            def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                proxy.seen.append(SeenRequest(self.command, self.path, dict(self.headers)))
                fault = proxy._fault_for(self.path)
                if fault is not None and fault.kind == "status":
                    body = json.dumps({"errors": [{"code": "UNAVAILABLE",
                                                   "message": "injected fault"}]}).encode()
                    self._send(fault.status, body, {"Content-Type": "application/json",
                                                    **fault.headers})
                    return
                if fault is not None and fault.kind == "stall":
                    time.sleep(fault.seconds)
                if fault is not None and fault.kind == "redirect":
                    self._send(307, b"", {"Location": fault.target + self.path
                                          + "?X-Signature=" + secrets.token_hex(8)})
                    return
                if proxy.referrers is not None and "/referrers/" in self.path:
                    self._referrers()
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._forward(fault)

            def _referrers(self) -> None:
                assert proxy.referrers is not None
                url = urlsplit(self.path)
                digest = url.path.rsplit("/", 1)[1]
                wanted = parse_qs(url.query).get("artifactType", [None])[0]
                entries = list(proxy.referrers.get(digest, []))
                headers = {"Content-Type": "application/vnd.oci.image.index.v1+json"}
                if wanted and proxy.apply_artifact_type_filter:
                    entries = [e for e in entries if e.get("artifactType") == wanted]
                    headers["OCI-Filters-Applied"] = "artifactType"
                body = json.dumps({"schemaVersion": 2,
                                   "mediaType": "application/vnd.oci.image.index.v1+json",
                                   "manifests": entries}).encode()
                self._send(200, body, headers)

            def _forward(self, fault: Fault | None) -> None:
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in _HOP and k.lower() != "host"}
                headers.update(proxy.upstream_headers)
                upstream.request(self.command, self.path, headers=headers)
                response = upstream.getresponse()
                body = response.read()
                upstream.close()
                if fault is not None and fault.kind == "corrupt" and body:
                    middle = len(body) // 2
                    body = body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1:]
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in _HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if fault is not None and fault.kind == "truncate":
                    self.wfile.write(body[:fault.after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        return Handler


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def plain_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry without authentication, over plain HTTP on loopback."""
    server = RegistryServer.start(tmp_path_factory.mktemp("registry-plain"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry with htpasswd Basic auth (``.username`` / ``.password``)."""
    server = RegistryServer.start(tmp_path_factory.mktemp("registry-basic"),
                                  basic_user="gate-user")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry with token auth; ``.issuer`` knows user ``gate-user``, and repositories
    under ``public/`` may be pulled anonymously."""
    work = tmp_path_factory.mktemp("registry-token")
    issuer = TokenIssuer(work)
    issuer.add_user("gate-user")
    issuer.public_repositories.add("public/")
    server = RegistryServer.start(work / "registry", issuer=issuer)
    yield server
    server.stop()
    issuer.stop()


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry over HTTPS with a certificate from a test CA (``.ca_bundle``)."""
    server = RegistryServer.start(tmp_path_factory.mktemp("registry-tls"), ca=TestCA())
    yield server
    server.stop()


@pytest.fixture
def fault_proxy(plain_registry: RegistryServer) -> Iterator[FaultProxy]:
    """A :class:`FaultProxy` in front of ``plain_registry``, fresh for each test."""
    proxy = FaultProxy(plain_registry.host)
    yield proxy
    proxy.stop()
