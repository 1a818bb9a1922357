"""Shared by the identity attack tests: tokens signed with the county's key but shaped by hand, the
way an attacker (or a careless tool) would shape them."""
from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from common.auth import ISSUER
from tests.harness import Keys

SERVICES = ("registry", "rating", "lending", "merchant", "stats")


def forge(keys: Keys, *, lifetime: int = 600, issued: int = 0, **claims: Any) -> str:
    """A county-signed token with exactly these claims (``None`` drops a claim): by default an admin
    token for every service, issued ``issued`` seconds from now and living ``lifetime`` seconds."""
    now = int(time.time()) + issued
    body: dict[str, Any] = {"iss": ISSUER, "sub": "attacker", "role": "admin", "iat": now, "exp": now + lifetime,
                            "jti": uuid.uuid4().hex, "aud": list(SERVICES)}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    key = serialization.load_pem_private_key(keys.private_pem, None)
    # The county's key id: the first 16 hex digits of the SHA-256 of the raw public key (common.auth.key_id).
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return jwt.encode(body, key, algorithm="EdDSA",  # type: ignore[arg-type]
                      headers={"kid": hashlib.sha256(raw).hexdigest()[:16]})


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}
