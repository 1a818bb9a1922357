"""Webhook signatures: ``X-CV-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]``, each v1 an
HMAC-SHA256 under one of the endpoint's secrets over ``f"{t}.{body}"``. During a rotation's
overlap both the new and the old secret sign; a receiver accepts the request if any v1 matches a
secret it holds and ``t`` is recent (we suggest 5 minutes)."""
from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "X-CV-Signature"
PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def header(secrets_: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}"] + [f"v1={signature(s, timestamp, body)}" for s in secrets_])


def verify(value: str, secret: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (our tests do it too): the timestamp is recent and a v1 matches."""
    parts = [p.partition("=") for p in value.split(",")]
    stamps = [v for k, _, v in parts if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = signature(secret, int(stamps[0]), body)
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, _, v in parts)
