"""Blobs from ``/v2/<name>/blobs/<digest>``, streamed straight from the HTTP response.

:class:`RegistryBlobStore` is the registry's :class:`~gate.sources.image.model.BlobStore`:
layers stream through the same verified decompression as local images
(:mod:`gate.sources.image.blob_stream` hashes every stored byte against the layer digest and
the uncompressed tar against the diff_id; configs and signature blobs go through
``read_blob_verified``), nothing is written to disk. A download that breaks off is resumed
with a ``Range`` request from the last byte received (distribution spec: blob GET supports
ranges), a bounded number of times. The store pickles (transport state and tokens, no
session, no password) so worker processes stream their own layers.
"""

from __future__ import annotations

import io
from typing import IO, TYPE_CHECKING

from gate.errors import ImageError, RegistryError
from gate.sources.image.digest import split_digest
from gate.sources.registry.auth import pull_scope
from gate.sources.registry.transport import Transport, connection_reason, error_detail

if TYPE_CHECKING:
    import requests

_BUFFER = 1024 * 1024


class _BlobReader(io.RawIOBase):
    def __init__(self, transport: Transport, repository: str, digest: str) -> None:
        super().__init__()
        self._transport = transport
        self._repository = repository
        self._digest = digest
        self._path = f"/v2/{repository}/blobs/{digest}"
        self._pos = 0
        self._resumes = 0
        self._response: requests.Response | None = None
        self._open()

    def readable(self) -> bool:
        return True

    def _open(self) -> None:
        headers = {"Accept-Encoding": "identity"}
        if self._pos:
            headers["Range"] = f"bytes={self._pos}-"
        response = self._transport.request(
            "GET", self._path, scope=pull_scope(self._repository), headers=headers,
            what=f"GET {self._path}",
        )
        status = response.status_code
        if status == 404:
            detail = error_detail(response)
            response.close()
            raise ImageError(f"blob {self._digest} is missing from registry "
                             f"{self._transport.registry}/{self._repository} ({detail})")
        if status not in (200, 206) or (status == 206 and not self._pos):
            detail = error_detail(response)
            response.close()
            raise RegistryError(f"registry {self._transport.registry}: GET {self._path} "
                                f"answered {detail}")
        self._response = response
        if self._pos and status == 200:
            # No range support: read again from the start and skip what we already have.
            skip = self._pos
            while skip:
                chunk = response.raw.read(min(skip, _BUFFER), decode_content=True)
                if not chunk:
                    raise RegistryError(f"registry {self._transport.registry}: blob "
                                        f"{self._digest} is shorter on a second download")
                skip -= len(chunk)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while True:
            assert self._response is not None
            raw = self._response.raw
            try:
                # read1 hands over what has arrived (urllib3 2): bytes received before a
                # cut are kept, and the resume asks only for the rest.
                reader = getattr(raw, "read1", None) or raw.read
                data = reader(len(buffer), decode_content=True)
                break
            except Exception as exc:
                # urllib3 ProtocolError (connection cut, short body), ReadTimeoutError, ...
                reason = connection_reason(exc)
                self._response.close()
                if self._resumes >= self._transport.options.retries:
                    raise RegistryError(
                        f"registry {self._transport.registry}: GET {self._path} broke off "
                        f"after {self._pos} bytes ({reason}); gave up after "
                        f"{self._resumes} resume(s)"
                    ) from None
                self._transport.sleep(self._transport.backoff_delay(self._resumes, None))
                self._resumes += 1
                self._open()
        count = len(data)
        buffer[:count] = data
        self._pos += count
        return count

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None
        super().close()


class RegistryBlobStore:
    """The blobs of one repository of one registry."""

    def __init__(self, transport: Transport, repository: str) -> None:
        self.transport = transport
        self.repository = repository

    def describe(self) -> str:
        return f"registry {self.transport.registry}/{self.repository}"

    def open_blob(self, digest: str) -> IO[bytes]:
        split_digest(digest, self.describe())
        return io.BufferedReader(_BlobReader(self.transport, self.repository, digest),
                                 buffer_size=_BUFFER)

    def __repr__(self) -> str:
        return f"RegistryBlobStore({self.transport.registry!r}, {self.repository!r})"
