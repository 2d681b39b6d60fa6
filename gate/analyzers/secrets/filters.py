"""False-positive filters and value validators, kept apart from the rules that use them.

Filters answer "is this candidate a placeholder, a variable reference, a word, a path?";
validators answer "does this value have the inner structure its format promises?" (a JWT header
that is JSON with ``alg``, a Docker ``auth`` that is base64 of ``user:password``).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import math
import re
import urllib.parse
import zlib
from collections import Counter

from gate.analyzers.secrets.known_public_keys import is_known_public_key

# Shared placeholder shapes: values in documentation and templates, never live credentials.
_PLACEHOLDER_RX = re.compile(
    r"""(?ix)
      example
    | x{5,}
    | \*{3,}
    | \.\.\.
    | (?:0123456789|123456789|abcdefgh)
    | ^(.)\1*$
    | dummy | placeholder | changeme | change_me | redacted | notreal | not_real | not-a-real
    | your[_-]?(?:api[_-]?)?(?:key|token|secret|password|pass)
    | (?:insert|enter|replace|put)[_-]?(?:your|here)
    | [<>]
    | \$\{ | \{\{ | \}\} | %\( | \$\( | ^\$[A-Za-z_]
    """
)

# Values of generic ``password = value`` assignments that are code, not a secret.
_GENERIC_REJECT_RX = re.compile(
    r"""(?x)
      ^(?i:true|false|null|none|nil|undefined|yes|no|on|off|required|optional|string|bool|int|
         integer|number|str|bytes|object|any|empty|default|disabled|enabled|secret|password|
         passwd|token|hidden|unknown|unset|value|test|testing|sample|foo|bar|baz|admin|root|
         user|username|guest|anonymous|public|private)$
    | ^[A-Za-z_][A-Za-z_.]*$          # an identifier or attribute path: a = b.c (no digits)
    | ^[A-Za-z_][\w.]*\(              # a call
    | ^[\w.]+\[                       # an index expression
    | ^(?:/|\./|\.\./|~/|[A-Za-z]:\\) # a path
    | ^\d+(?:\.\d+)*$                 # a number or a version
    | ^[\w.-]+\.(?:txt|json|ya?ml|pem|key|crt|cfg|conf|ini|env|py|js|sh|xml|properties)$
    | ^[A-Z0-9_]+$                    # an upper-case constant name (ENV_VAR_NAME)
    | ^(?i:https?|file)://            # a URL (the url-credentials rule covers user:pass@)
    | ^[a-z]+(?:[-_.][a-z0-9]+)+$    # kebab/snake words: some-setting-name, scram-sha-256
    | (?i:getenv|environ|process\.env|ENV\[|os\.|secrets\.|vault:|ssm:|arn:aws)
    | ^[@&(\[{<:*]                    # decorators, casts, literals, references, globs
    | ::                              # C++/Rust/PHP scope paths
    | ^[\w-]+(?:\|[\w-]+)+$           # an enumeration of choices: true|false
    | ^[\w.-]+(?:,[\w.=-]*)+$          # a list or struct tag: bytes,2,opt,name=token
    | ^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+;?$  # a dotted path: self.token, a.b.c
    | %[-+ #0-9.]*[sdrifxX]           # printf-style formatting: InvalidToken:%s
    | ^[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{1,5}$  # a file or host name (name.ext, a.b.c)
    | [\\]x[0-9a-f]{2}                # escaped bytes in code
    """
)


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s character distribution."""
    if not value:
        return 0.0
    length = len(value)
    return -sum(n / length * math.log2(n / length) for n in Counter(value).values())


def is_placeholder(value: str) -> bool:
    """A documented example, template variable or filler rather than a credential."""
    return _PLACEHOLDER_RX.search(value) is not None


def is_code_or_word(value: str) -> bool:
    """A generic assignment's value that is code, a word, a path or a number."""
    return _GENERIC_REJECT_RX.search(value) is not None


def char_classes(value: str) -> int:
    """How many of lower, upper, digit, other a value uses (a password mixes them)."""
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


# Example credentials of providers' own documentation (assembled: they are published values,
# but the source should not look like it holds tokens). Dynatrace "Tokens and authentication",
# the X (Twitter) bearer-token guide, and the test keys of Stripe's API reference.
DYNATRACE_DOC_TOKEN = (
    "dt0s01." + "ST2EY72KQINMH574WMNVI7YN."
    + "G3DFPBEJYMODIDAEX454M7YWBUVEFOWKPRVMWFASS64NFH52PX6BNDVFFM572RZM"
)
X_DOC_BEARER_TOKEN = (
    "A" * 21 + "MLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3D"
    + "EUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"
)
# Discord's API reference ("Authentication"): the example bot token of its Authorization header.
DISCORD_DOC_BOT_TOKEN = ".".join(
    ("MTk4NjIy" + "NDgzNDcxOTI1MjQ4", "Cl2FMQ", "ZnCjm1XVW7" + "vRze4b7Cq4se7kKWs")
)
STRIPE_DOC_KEYS = frozenset(
    {"sk_" + "test_4eC39HqLyjWDarjtT1zdp7dc", "pk_" + "test_TYooMQauvdEDq54NiTphI7jx"}
)

# Example credentials printed in specifications, which libraries quote in their docstrings:
# RFC 6749 (OAuth 2.0) sections 4.1-5.1 and RFC 5849 (OAuth 1.0) section 1.2. Never reported,
# by any rule (a generic rule must not report what the provider rule allows).
DOCUMENTED_EXAMPLE_VALUES = frozenset(
    {
        DYNATRACE_DOC_TOKEN, X_DOC_BEARER_TOKEN, DISCORD_DOC_BOT_TOKEN, *STRIPE_DOC_KEYS,
        "2YotnFZFEjr1zCsicMWpAA", "tGzv3JOkF0XG5Qx2TlKWIA", "SplxlOBeZQQYbYS6WxSbIA",
        "8xLOxBtZp8", "gX1fBat3bV", "s6BhdRkqt3", "hh5s93j4hdidpola", "hdk48Djdsa",
        "nnch734d00sl2jdk", "pfkkdhi9sl3r4s00", "dh893hdasih9", "kd94hf93k423kf44",
        "ad180jjd733klru7", "wIjqoS", "hdhd0244k9j7ao03", "9djdj82h48djs9d2",
        # requests-oauthlib docstrings (Debian python3-requests-oauthlib).
        "lsdajfh923874", "2kjshdfp92i34asdasd", "kjerht2309uf", "sdf0o9823sjdfsdf",
    }
)  # fmt: skip


# A generic value spelling one of these is a sample (``Password01``, ``test-token-123``).
_SAMPLE_WORDS = re.compile(
    r"(?i)passw(?:or|0r)d|p4ssw|secret|token|example|sample|dummy|test|fake|mock|invalid|"
    r"changeit|username|foobar|lorem"
)


_CAMEL_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def looks_like_identifier(value: str) -> bool:
    """A name made of words (``V1LocalObjectReference``, ``_convert_oauth2_credentials``):
    most of its letters form word-like parts of 3+ letters, as names do and random tokens
    (``lucWJjEhlxZW01cXI3``) do not."""
    letters = sum(c.isalpha() for c in value)
    if letters < 6:
        return False
    parts = _CAMEL_PART.findall(value)
    words = [p for p in parts if p.isalpha() and len(p) >= 3 and p[1:].islower()]
    in_words = sum(len(w) for w in words)
    return sum(len(w) >= 4 for w in words) >= 2 and in_words / letters >= 0.75


_HEX = re.compile(r"[0-9a-fA-F]+")


def generic_value_ok(value: str, *, min_entropy: float = 3.0, min_length: int = 8) -> bool:
    """Generic ``secret = value`` rule: keep values that look random, drop code and words."""
    if len(value) < min_length or is_placeholder(value):
        return False
    if is_code_or_word(value) and not _random_letters(value):
        return False
    if value in DOCUMENTED_EXAMPLE_VALUES or _SAMPLE_WORDS.search(value):
        return False
    if _encoded_prose(value) or looks_like_identifier(value):
        return False
    # A credential mixes digits or cases; ``geheim$parole``-like phrases are documentation.
    has_digit = any(c.isdigit() for c in value)
    mixed_case = any(c.islower() for c in value) and any(c.isupper() for c in value)
    if not (has_digit or mixed_case):
        return False
    if char_classes(value) < 2:
        return False
    # Random credentials have > 3 bits/char; words and repeated patterns do not. A string of
    # n characters has at most log2(n) bits/char, so short values get a scaled threshold.
    # Hex has 16 symbols (at most 4 bits/char): its random strings sit half a bit lower.
    if _HEX.fullmatch(value):
        min_entropy -= 0.5
    return shannon_entropy(value) >= min(min_entropy, 0.8 * math.log2(len(value)))


def _encoded_prose(value: str) -> bool:
    """Base64 of words (``bm90IG15IHJlYWwgcGFzc3dvcmQ=`` is "not my real password")."""
    if len(value) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", value):
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    printable = decoded.isprintable()
    return printable and (" " in decoded or _SAMPLE_WORDS.search(decoded) is not None)


_CODE_CHARS = re.compile(r"[()\[\]{}+<>,&|\\]|=[A-Za-z]|\w\.\w+\.\w")


def unquoted_value_ok(value: str) -> bool:
    """An unquoted config value: no expression syntax, query strings or dotted paths."""
    return _CODE_CHARS.search(value) is None and shannon_entropy(value) >= 3.2


def env_value_ok(value: str) -> bool:
    """A ``.env`` assignment to a secret-named key: lower bar than the generic rule (the key
    and file already say it is a credential) but still no code, words or placeholders."""
    if len(value) < 6 or is_placeholder(value):
        return False
    if is_code_or_word(value) and not _random_letters(value):
        return False
    return shannon_entropy(value) >= 2.5


def _random_letters(value: str) -> bool:
    """Letters only, but with case changes no identifier or word has (``sOGNcrJkuKjD``)."""
    if not value.isalpha():
        return False
    upper = sum(c.isupper() for c in value)
    changes = sum(a.isupper() != b.isupper() for a, b in itertools.pairwise(value))
    return upper >= 3 and len(value) - upper >= 3 and changes >= len(value) // 3


# Host names documentation uses (RFC 2606 reserved names and common stand-ins).
_PLACEHOLDER_HOST = re.compile(
    r"(?i)(?:^|\.)(?:example|invalid|test|localhost|local)$|"
    r"(?:^|\.)(?:example|company|mycompany|yourcompany|domain|mydomain|yourdomain|acme|foo|"
    r"host|hostname|server|myserver|yourserver)\.(?:com|org|net|io)$"
)


def placeholder_host(host: str) -> bool:
    return _PLACEHOLDER_HOST.search(host.rstrip(".")) is not None


def url_password_ok(value: str) -> bool:
    """Password part of ``scheme://user:password@host`` (or of a decoded ``user:password``)."""
    if value.startswith(("$", "%", "{", "[")):
        return False
    # RFC 3986 percent-encoding: judge the decoded text (``pass%20pass`` is two words).
    words = re.split(r"[^a-z0-9@]+", urllib.parse.unquote(value).lower())
    if all(w in _URL_PLACEHOLDER_PASSWORDS or not w for w in words):
        return False
    # ``user:port@`` look-alikes are numbers; ``***`` masks are handled by is_placeholder.
    # Documentation writes words (``user:hello@``); a password mixes character classes.
    if value.isdigit() or len(value) < 3:
        return False
    return char_classes(value) >= 2 or len(value) >= 16


_URL_PLACEHOLDER_PASSWORDS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "secret", "token", "pw", "p", "x", "xx", "xxx",
        "user", "username", "foo", "bar", "baz", "test", "testing", "guest", "anonymous",
        "mypassword", "mypass", "yourpassword", "yourpass", "secretpassword", "apikey",
        "api_key", "key", "none", "null", "empty", "hunter2", "letmein", "s3cret", "secret123",
        "password123", "pass123", "admin", "root", "changeit", "default", "dummy", "example",
        "sample", "p4ssw0rd", "passw0rd", "p@ssw0rd", "p@ssword", "pa55word", "pa55w0rd",
        "secretpass", "topsecret", "mysecret", "swordfish", "qwerty", "abc123", "bar123",
    }
)  # fmt: skip


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# Claims (RFC 7519 section 4.1) that issued tokens carry; documentation samples often carry
# none ({"some": "payload"}) or the jwt.io sample subject.
_REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
_SAMPLE_SUBJECTS = frozenset({"1234567890", "john doe", "user123", "test"})


def jwt_ok(value: str) -> bool:
    """RFC 7519 section 7.2: header and payload are base64url JSON objects, a JWS header has
    ``alg``, and the payload carries a registered claim (not a documentation sample)."""
    header, _, rest = value.partition(".")
    payload = rest.partition(".")[0]
    try:
        head = json.loads(_b64url_decode(header))
        claims = json.loads(_b64url_decode(payload))
    except (ValueError, binascii.Error):
        return False
    if not isinstance(head, dict) or "alg" not in head or not isinstance(claims, dict):
        return False
    if not _REGISTERED_CLAIMS & claims.keys():
        return False
    sample = {str(claims.get("sub", "")).lower(), str(claims.get("name", "")).lower()}
    return not sample & _SAMPLE_SUBJECTS


def docker_auth_ok(value: str) -> bool:
    """Docker config ``auths.<registry>.auth`` is base64 of ``user:password``."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (ValueError, binascii.Error):
        return False
    user, sep, password = decoded.partition(b":")
    if not (sep and user and password):
        return False
    text = password.decode("latin-1")
    return not is_placeholder(text) and url_password_ok(text)


def base64_private_key_ok(value: str) -> bool:
    """kubeconfig ``client-key-data``: base64 of a PEM private key."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, binascii.Error):
        return False
    return b"PRIVATE KEY-----" in decoded


_PEM_HEADER_LINE = re.compile(r"^[A-Za-z-]+:.*$", re.M)
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")


def pem_body(value: str) -> str:
    """A private key body without header lines, whitespace and JSON ``\\n`` escapes."""
    text = value.replace("\\r", "\n").replace("\\n", "\n")
    text = _PEM_HEADER_LINE.sub("", text)
    return _NOT_BASE64.sub("", text)


def pem_body_ok(value: str) -> bool:
    """A key block with a real body: enough base64, not a filler like ``...``/``<key>``, and
    not a published test key that distributions ship."""
    if "..." in value or "<" in value or "xxxx" in value.lower():
        return False
    body = pem_body(value)
    if len(body) < 64 or shannon_entropy(body) < 4.0:
        return False
    return not is_known_public_key(body)


def provider_value_ok(value: str) -> bool:
    """The value of a key that names a provider (``DISCORD_CLIENT_SECRET = ...``): the key says
    what it is, the value must still look machine-made: not a placeholder, a sample, base64
    of prose, a camelCase or snake_case name, and it mixes character classes (letters-only
    values must look random: case changes, or few vowels when lower-case)."""
    if is_placeholder(value) or value in DOCUMENTED_EXAMPLE_VALUES:
        return False
    if _SAMPLE_WORDS.search(value) or _encoded_prose(value):
        return False
    if value.isdigit():
        return numeric_id_ok(value)
    if value.isalpha():
        return _random_lowercase(value) if value.islower() else _random_letters(value)
    # Word-part heuristics only fit names that use case: random lower-case alphanumerics
    # (a documented alphabet of many services) are full of letter runs.
    if any(c.isupper() for c in value) and looks_like_identifier(value):
        return False
    if _snake_case_words(value):
        return False
    return char_classes(value) >= 2


_VOWELS = frozenset("aeiouy")


def _random_lowercase(value: str) -> bool:
    """Lower-case letters only: random strings have about one vowel in five, words two."""
    return sum(c in _VOWELS for c in value) / len(value) <= 0.3


def _snake_case_words(value: str) -> bool:
    """``live_server_settings``: every part is a pronounceable word."""
    parts = [p for p in re.split(r"[_.-]+", value) if p]
    return len(parts) >= 2 and all(
        p.isalpha() and (len(p) < 3 or not _random_lowercase(p.lower())) for p in parts
    )


_ASCENDING = "01234567890123456789"
_DESCENDING = _ASCENDING[::-1]


def numeric_id_ok(value: str) -> bool:
    """A numeric client ID (Asana, Discord snowflakes): not a run like ``1234567890`` or a
    repeated digit, and with the spread of digits an issued number has."""
    if any(value[i : i + 6] in _ASCENDING or value[i : i + 6] in _DESCENDING
           for i in range(len(value) - 5)):  # fmt: skip
        return False
    return len(set(value)) >= 5 and shannon_entropy(value) >= 2.5


def crc32_hex_suffix_ok(value: str) -> bool:
    """Private Packagist tokens end in the CRC32 (8 lowercase hex digits) of the prefix and
    random part (packagist.com/docs/composer-authentication#token-format)."""
    body, checksum = value[:-8].lower(), value[-8:].lower()
    return f"{zlib.crc32(body.encode('ascii')):08x}" == checksum


def xml_secret_ok(value: str) -> bool:
    """A password in an XML settings file (Maven ``<password>``): a literal value, not a
    property reference, an encrypted ``{...}`` blob, prose or a documentation placeholder."""
    if is_placeholder(value) or value.startswith("{") or any(c.isspace() for c in value):
        return False
    return url_password_ok(value)


def _docker_entry_ok(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    auth, password = entry.get("auth"), entry.get("password")
    token = entry.get("identitytoken") or entry.get("registrytoken")
    if isinstance(auth, str) and auth and docker_auth_ok(auth):
        return True
    if isinstance(password, str) and password and not is_placeholder(password):
        return url_password_ok(password)
    return isinstance(token, str) and len(token) >= 16 and not is_placeholder(token)


def docker_config_blob_ok(value: str) -> bool:
    """A Kubernetes ``kubernetes.io/dockerconfigjson`` (``.dockerconfigjson``) or legacy
    ``kubernetes.io/dockercfg`` (``.dockercfg``) Secret value: base64 of a Docker config whose
    registry entries (under ``auths`` for the former) carry a real credential."""
    try:
        decoded = json.loads(base64.b64decode(value + "=" * (-len(value) % 4), validate=True))
    except (ValueError, binascii.Error):
        return False
    if not isinstance(decoded, dict):
        return False
    registries = decoded.get("auths", decoded)
    if not isinstance(registries, dict):
        return False
    return any(_docker_entry_ok(entry) for entry in registries.values())
