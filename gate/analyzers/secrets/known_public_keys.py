"""Private keys that are published test vectors, not secrets.

Each entry is the SHA-256 (hex) of a key's canonical body (:func:`filters.pem_body`: base64
without headers or whitespace). Only keys that distributions ship inside their own packages
belong here, each with its source, so an untouched distribution image scans clean while the
same rule still catches every other key.
"""

from __future__ import annotations

import hashlib

KNOWN_PUBLIC_KEY_DIGESTS: frozenset[str] = frozenset(
    {
        # GnuTLS power-on self-test keys (lib/crypto-selftests-pk.c), compiled into
        # libgnutls.so.30 (Debian package libgnutls30): RSA, DSA, EC and GOST test keys.
        "bf552d2ff30b20f0b0ee2bcc357a5ab68dbe899ae09a0071b097bee2d2434332",
        "cadf1e62661d5d21a7fce2c80b3319022ee366137e4b302a7ea78b7f17d6f599",
        "6d03bbf47115fad00d6f990593a6465ca693d0f6d797721cfc94b0190349b50d",
        "30db3ea6d728b88c03c56388f64efb5bfe5e8d0ed3640482108ac79645304e6f",
        "518a21fe5a8a54f8f31d8913c3aa5be433ba94871630b3f85009c146bd3b844e",
        "c780c483da21d36753a9662fc03234d3fda795fe0bad451fbfa01dab43321ac5",
        "0abce0c5fd3b863ee4d881dcc5382b334393868cef4c32e687d87ce334d456b8",
        "24a2416c5abbb67327599619c25906553b849d79cbc413e2a061f12de6718838",
        "9ab6db67523ba6071fdb948b3ce38349ec08fb726f359abbbca33a3a84238ba2",
        "f287c70b1db074fe73f73bfb1f09a8b0231e0d951d5bfd30a742bcb9de9195ab",
        # xmlsec1 documentation example key (/usr/share/doc/libxmlsec1-dev/examples/rsakey.pem).
        "b3ef3851341fd279d40918299fd6f7c146e9e3d5b5861c22cb10995f439ca95c",
    }
)


def is_known_public_key(body: str) -> bool:
    """``body``: the canonical key body (see :func:`filters.pem_body`)."""
    return hashlib.sha256(body.encode("ascii", "replace")).hexdigest() in KNOWN_PUBLIC_KEY_DIGESTS
