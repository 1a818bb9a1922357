"""Personal data: AES-GCM encryption at rest, a keyed HMAC blind index for look-ups, masking on
the way out, and the form and checksum of ID-card numbers (GB 11643-1999)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from datetime import date

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from common.i18n import Text

_ID_FORM = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE_FORM = re.compile(r"^1[3-9]\d{9}$")


class PIIError(ValueError):
    pass


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def id_number_problem(value: str) -> Text | None:
    """Why ``value`` is not a valid 18-character resident ID number, or None if it is."""
    v = normalize_id_number(value)
    if not _ID_FORM.match(v):
        return Text("must be 17 digits followed by a digit or X", "应为 17 位数字加 1 位数字或 X")
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return Text("the birth date inside is not a real date", "其中的出生日期不是有效日期")
    total = sum(int(d) * w for d, w in zip(v[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != v[17]:
        return Text("the check character does not match (GB 11643)", "校验码不符（GB 11643）")
    return None


def id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def phone_problem(value: str) -> Text | None:
    if _MOBILE_FORM.match(value.strip()):
        return None
    return Text("must be an 11-digit mainland mobile number", "应为 11 位的中国大陆手机号码")


def mask_id_number(value: str) -> str:
    v = normalize_id_number(value)
    return v[:4] + "*" * (len(v) - 8) + v[-4:] if len(v) > 8 else "*" * len(v)


def mask_phone(value: str) -> str:
    v = value.strip()
    return v[:3] + "****" + v[-4:] if len(v) >= 11 else "*" * len(v)


def mask_name(value: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the family name stays, the given name does not."""
    v = value.strip()
    return v[:1] + "*" * max(len(v) - 1, 1) if v else v


class PIICipher:
    """Encrypts with AES-256-GCM (random 96-bit nonce, stored with the ciphertext) and computes
    the blind index with HMAC-SHA256 under a separate key (only a service that looks values up by
    their index holds one)."""

    def __init__(self, key_b64: str, index_key_b64: str | None = None) -> None:
        key = base64.b64decode(key_b64)
        if len(key) != 32:
            raise PIIError("the PII key must be 32 bytes, base64-encoded")
        self._aead = AESGCM(key)
        # The keyed HMAC state once (the key's inner and outer pads); each index copies it.
        self._index_mac = (hmac.new(base64.b64decode(index_key_b64), digestmod=hashlib.sha256)
                           if index_key_b64 is not None else None)

    def encrypt(self, value: str, context: bytes = b"") -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, value.encode(), context or None)

    def decrypt(self, blob: bytes, context: bytes = b"") -> str:
        return self._aead.decrypt(blob[:12], blob[12:], context or None).decode()

    def blind_index(self, value: str) -> str:
        if self._index_mac is None:
            raise PIIError("this cipher has no blind-index key")
        mac = self._index_mac.copy()
        mac.update(value.strip().upper().encode())
        return mac.hexdigest()


def new_key_b64() -> str:
    return base64.b64encode(os.urandom(32)).decode()
