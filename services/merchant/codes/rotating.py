"""Short-lived rotating codes for a phone app: ``R1.<payload>.<mac>``, where the payload is the
static code's look-up hash and an expiry, signed with a key of this service. A rotating code holds
no personal data and no grade; a photo of it stops working after its lifetime."""
from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from datetime import datetime, timedelta

PREFIX = "R1."


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class RotatingCodes:
    def __init__(self, secret: bytes, lifetime: timedelta = timedelta(seconds=60)) -> None:
        # A key of its own, derived once, so a rotating code's MAC says nothing about other keys' use.
        self._key = hmac.new(secret, b"merchant rotating household codes v1", hashlib.sha256).digest()
        self.lifetime = lifetime

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def issue(self, code_hash: str, now: datetime) -> tuple[str, datetime]:
        expires = now + self.lifetime
        payload = bytes.fromhex(code_hash) + struct.pack(">Q", int(expires.timestamp()))
        return f"{PREFIX}{_b64(payload)}.{_b64(self._mac(payload))}", expires

    def resolve(self, code: str, now: datetime) -> str | None:
        """The static code's hash if ``code`` is a genuine rotating code still alive, else None."""
        try:
            payload_text, mac_text = code[len(PREFIX):].split(".")
            payload, mac = _unb64(payload_text), _unb64(mac_text)
        except (ValueError, TypeError):
            return None
        if len(payload) != 40 or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        (expires,) = struct.unpack(">Q", payload[32:])
        if expires < now.timestamp():
            return None
        return payload[:32].hex()


def is_rotating(code: str) -> bool:
    return code.startswith(PREFIX)
