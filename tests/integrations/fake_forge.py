"""A local HTTP server that plays the GitHub and GitLab REST endpoints the gate uses.

GitHub (REST API "Issue comments", https://docs.github.com/en/rest/issues/comments), also under
the ``/api/v3`` prefix of GitHub Enterprise Server:

* ``GET /repos/{owner}/{repo}/issues/{number}/comments?per_page=&page=``: a JSON array of
  comment objects (``id``, ``node_id``, ``url``, ``html_url``, ``body``, ``user``,
  ``created_at``, ``updated_at``, ``issue_url``, ``author_association``), ascending by id,
  more pages announced by a ``Link: <...>; rel="next", <...>; rel="last"`` header;
* ``POST /repos/{owner}/{repo}/issues/{number}/comments`` ``{"body"}``: 201 and the comment;
* ``PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}`` ``{"body"}``: 200 and it;
* ``Authorization: token <t>`` or ``Bearer <t>``; anything else is 401 ``Bad credentials``.

GitLab (REST API "Notes", https://docs.gitlab.com/api/notes/), under ``[/prefix]/api/v4``
(self-managed GitLab may live under a relative URL):

* ``GET /projects/{id}/merge_requests/{iid}/notes?per_page=&page=&sort=&order_by=``: a JSON
  array of notes (``id``, ``type``, ``body``, ``author``, ``created_at``, ``updated_at``,
  ``system``, ``noteable_id``, ``noteable_type``, ``noteable_iid``, ``project_id``,
  ``resolvable``, ``confidential``, ``internal``) with the ``X-Page``, ``X-Per-Page``,
  ``X-Next-Page``, ``X-Total``, ``X-Total-Pages`` and ``Link`` pagination headers;
* ``POST .../notes`` ``{"body"}``: 201; ``PUT .../notes/{note_id}`` ``{"body"}``: 200;
* ``GET /projects/{id}/jobs/artifacts/{ref_name}/raw/{path}?job={name}`` (Jobs API, "Download
  a single artifact file by reference name"): the file's bytes, with ``JOB-TOKEN: <t>``;
* ``PRIVATE-TOKEN: <t>``; a wrong one is 401 ``{"message": "401 Unauthorized"}``.

Every request is recorded (method, path, query, headers, JSON body). ``fail`` queues canned
error answers (status, body, headers) for matching requests; ``delay`` makes answers slow.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    times: int


@dataclass
class FakeForge:
    github_token: str
    gitlab_token: str
    per_page_cap: int = 100
    delay: float = 0.0
    requests: list[Recorded] = field(default_factory=list)
    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    notes: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    artifacts: dict[tuple[str, str, str, str], bytes] = field(default_factory=dict)
    """(project, ref, path, job) -> file content, for the job-token artifact download."""
    job_token: str = ""
    _next_id: int = 1000
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        self.failures.append(
            Failure(method, re.compile(path), status, body, headers or {}, times)
        )

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- GitHub objects ------------------------------------------------------------------

    def github_comment(self, base: str, repo: str, number: int, body: str,
                       login: str = "github-actions[bot]") -> dict[str, Any]:
        comment_id = self.new_id()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return {
            "id": comment_id,
            "node_id": f"IC_kwDOA{comment_id}",
            "url": f"{base}/repos/{repo}/issues/comments/{comment_id}",
            "html_url": f"https://github.com/{repo}/pull/{number}#issuecomment-{comment_id}",
            "body": body,
            "user": {"login": login, "id": 41898282, "type": "Bot" if "[bot]" in login
                     else "User"},
            "created_at": stamp,
            "updated_at": stamp,
            "issue_url": f"{base}/repos/{repo}/issues/{number}",
            "author_association": "NONE",
        }

    def seed_comment(self, repo: str, number: int, body: str, login: str = "someone") -> None:
        self.comments.setdefault((repo, number), []).append(
            self.github_comment(self.url, repo, number, body, login)
        )

    def gitlab_note(self, project: str, iid: int, body: str, username: str = "gate-bot",
                    system: bool = False) -> dict[str, Any]:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        return {
            "id": self.new_id(),
            "type": None,
            "body": body,
            "attachment": None,
            "author": {"id": 7, "username": username, "name": username, "state": "active",
                       "avatar_url": None, "web_url": f"https://gitlab.example.com/{username}"},
            "created_at": stamp,
            "updated_at": stamp,
            "system": system,
            "noteable_id": 42,
            "noteable_type": "MergeRequest",
            "noteable_iid": iid,
            "project_id": int(project) if project.isdigit() else 5,
            "resolvable": False,
            "confidential": False,
            "internal": False,
        }

    def seed_note(self, project: str, iid: int, body: str, *, system: bool = False) -> None:
        self.notes.setdefault((project, iid), []).append(
            self.gitlab_note(project, iid, body, "someone", system)
        )

    # -- server ------------------------------------------------------------------------------

    def start(self) -> FakeForge:
        forge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                forge._handle(self, "GET")

            def do_POST(self) -> None:
                forge._handle(self, "POST")

            def do_PATCH(self) -> None:
                forge._handle(self, "PATCH")

            def do_PUT(self) -> None:
                forge._handle(self, "PUT")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.requests.append(
            Recorded(method, parts.path, parse_qs(parts.query), dict(handler.headers.items()),
                     body)
        )
        if self.delay:
            time.sleep(self.delay)
        for failure in self.failures:
            if failure.times and failure.method == method and failure.path.search(parts.path):
                failure.times -= 1
                self._send(handler, failure.status, failure.body, failure.headers)
                return
        try:
            if "/api/v4/" in parts.path:
                prefix, _, rest = parts.path.partition("/api/v4")
                status, doc, headers = self._gitlab(handler, method, prefix, rest,
                                                    parse_qs(parts.query), body)
            else:
                status, doc, headers = self._github(handler, method, parts.path,
                                                    parse_qs(parts.query), body)
        except BrokenPipeError:
            return
        self._send(handler, status, doc, headers)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, doc: Any,
              headers: dict[str, str]) -> None:
        raw = isinstance(doc, bytes)
        data = doc if isinstance(doc, bytes) else b"" if doc is None else json.dumps(doc).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/octet-stream" if raw
                                else "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]],
              link_base: str) -> tuple[list[dict[str, Any]], dict[str, str], int, int, int]:
        per_page = min(int(query.get("per_page", ["30"])[0]), self.per_page_cap)
        page = int(query.get("page", ["1"])[0])
        pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        links = []
        if page < pages:
            links.append(f'<{link_base}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{link_base}?per_page={per_page}&page={pages}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return chunk, headers, page, pages, per_page

    def _github(self, handler: BaseHTTPRequestHandler, method: str, path: str,
                query: dict[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        prefix = ""
        if path.startswith("/api/v3/"):
            prefix, path = "/api/v3", path[7:]
        base = self.url + prefix
        auth = handler.headers.get("Authorization", "")
        if auth not in (f"token {self.github_token}", f"Bearer {self.github_token}"):
            return 401, {"message": "Bad credentials",
                         "documentation_url": "https://docs.github.com/rest"}, {}
        listing = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", path)
        if listing:
            repo, number = listing.group(1), int(listing.group(2))
            comments = self.comments.setdefault((repo, number), [])
            if method == "GET":
                chunk, headers, *_ = self._page(comments, query, base + path)
                return 200, chunk, headers
            if method == "POST":
                comment = self.github_comment(base, repo, number, body["body"])
                comments.append(comment)
                return 201, comment, {}
        edit = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", path)
        if edit and method == "PATCH":
            for comment in self._all_comments():
                if comment["id"] == int(edit.group(2)):
                    comment["body"] = body["body"]
                    comment["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                    return 200, comment, {}
        return 404, {"message": "Not Found",
                     "documentation_url": "https://docs.github.com/rest"}, {}

    def _all_comments(self) -> Iterator[dict[str, Any]]:
        for comments in self.comments.values():
            yield from comments

    def _gitlab(self, handler: BaseHTTPRequestHandler, method: str, prefix: str, path: str,
                query: dict[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        artifact = re.fullmatch(r"/projects/([^/]+)/jobs/artifacts/([^/]+)/raw/(.+)", path)
        if artifact and method == "GET":
            if not self.job_token or handler.headers.get("JOB-TOKEN") != self.job_token:
                return 401, {"message": "401 Unauthorized"}, {}
            from urllib.parse import unquote

            key = (artifact.group(1), unquote(artifact.group(2)), artifact.group(3),
                   query.get("job", [""])[0])
            if key in self.artifacts:
                return 200, self.artifacts[key], {}
            return 404, {"message": "404 Not found"}, {}
        if handler.headers.get("PRIVATE-TOKEN") != self.gitlab_token:
            return 401, {"message": "401 Unauthorized"}, {}
        listing = re.fullmatch(r"/projects/([^/]+)/merge_requests/(\d+)/notes", path)
        if listing:
            project, iid = listing.group(1), int(listing.group(2))
            notes = self.notes.setdefault((project, iid), [])
            if method == "GET":
                ordered = notes if query.get("sort", ["desc"])[0] == "asc" else notes[::-1]
                chunk, headers, page, pages, per_page = self._page(
                    ordered, query, self.url + prefix + "/api/v4" + path
                )
                headers.update({
                    "X-Page": str(page),
                    "X-Per-Page": str(per_page),
                    "X-Next-Page": str(page + 1) if page < pages else "",
                    "X-Prev-Page": str(page - 1) if page > 1 else "",
                    "X-Total": str(len(notes)),
                    "X-Total-Pages": str(pages),
                })
                return 200, chunk, headers
            if method == "POST":
                note = self.gitlab_note(project, iid, body["body"])
                notes.append(note)
                return 201, note, {}
        edit = re.fullmatch(r"/projects/([^/]+)/merge_requests/(\d+)/notes/(\d+)", path)
        if edit and method == "PUT":
            for note in self.notes.get((edit.group(1), int(edit.group(2))), []):
                if note["id"] == int(edit.group(3)):
                    note["body"] = body["body"]
                    return 200, note, {}
        return 404, {"message": "404 Not found"}, {}
