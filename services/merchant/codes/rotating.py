"""Short-lived rotating codes for a phone app: ``R2.<sealed>``, where ``sealed`` is the static
code's look-up hash and an expiry, encrypted and authenticated (AES-256-GCM, a fresh random nonce
each time) with a key of this service. A rotating code holds no personal data and no grade; a
photo of it stops working after its lifetime; and its bytes are fresh every time, so two rotating
codes of one household cannot be linked to each other or to the static code without the key
(a signed but readable payload would carry the same static hash in every code)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "R2."
_NONCE = 12
_PLAIN = 32 + 8  # the static code's SHA-256, the expiry in Unix seconds
_SEALED = _NONCE + _PLAIN + 16  # with the GCM tag
_CONTEXT = b"merchant rotating household code"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class RotatingCodes:
    def __init__(self, secret: bytes, lifetime: timedelta = timedelta(seconds=60)) -> None:
        # A key of its own, derived once, so these codes say nothing about other keys' use.
        self._aead = AESGCM(hmac.new(secret, b"merchant rotating household codes v2", hashlib.sha256).digest())
        self.lifetime = lifetime

    def issue(self, code_hash: str, now: datetime) -> tuple[str, datetime]:
        expires = now + self.lifetime
        nonce = os.urandom(_NONCE)
        plain = bytes.fromhex(code_hash) + struct.pack(">Q", int(expires.timestamp()))
        return f"{PREFIX}{_b64(nonce + self._aead.encrypt(nonce, plain, _CONTEXT))}", expires

    def resolve(self, code: str, now: datetime) -> str | None:
        """The static code's hash if ``code`` is a genuine rotating code still alive, else None."""
        try:
            sealed = _unb64(code[len(PREFIX):])
        except (ValueError, TypeError):
            return None
        if len(sealed) != _SEALED:
            return None
        try:
            plain = self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], _CONTEXT)
        except InvalidTag:
            return None
        (expires,) = struct.unpack(">Q", plain[32:])
        if expires < now.timestamp():
            return None
        return plain[:32].hex()


def is_rotating(code: str) -> bool:
    return code.startswith(PREFIX)
