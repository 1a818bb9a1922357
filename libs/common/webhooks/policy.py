"""What every service's webhooks share: which endpoints we call, how a secret is kept (encrypted
under the service's own webhook key, bound to its endpoint), which secrets sign, and the retry
policy after a failed POST."""
from __future__ import annotations

from datetime import datetime, timedelta
from ipaddress import ip_address
from typing import Protocol
from urllib.parse import urlsplit

from common.i18n import Text
from common.pii import PIICipher

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
LOOPBACK_HOSTS = ("localhost",)


class SignedEndpoint(Protocol):
    """What signing needs of an endpoint's row (an ORM object or a Core row alike)."""

    @property
    def id(self) -> str: ...
    @property
    def secret_enc(self) -> bytes: ...
    @property
    def old_secret_enc(self) -> bytes | None: ...
    @property
    def old_secret_until(self) -> datetime | None: ...


def secret_context(webhook_id: str) -> bytes:
    """Binds a stored secret to its endpoint: a ciphertext copied to another row does not decrypt."""
    return b"webhook-secret:" + webhook_id.encode()


def encrypt_secret(cipher: PIICipher, webhook_id: str, secret: str) -> bytes:
    return cipher.encrypt(secret, secret_context(webhook_id))


def signing_secrets(hook: SignedEndpoint, cipher: PIICipher, now: datetime) -> list[str]:
    """The current secret, and the previous one while its overlap lasts."""
    found = [cipher.decrypt(hook.secret_enc, secret_context(hook.id))]
    if hook.old_secret_enc is not None and hook.old_secret_until is not None and now < hook.old_secret_until:
        found.append(cipher.decrypt(hook.old_secret_enc, secret_context(hook.id)))
    return found


def url_problem(url: str, allow_http_loopback: bool) -> Text | None:
    """Why ``url`` is not an endpoint we will call, or None: HTTPS with a host, no user or
    password in it, not an internal address; plain http only to this machine, and only where the
    setting allows (tests, dev)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return Text("is not a URL", "不是有效的网址")
    if not host:
        return Text("must name a host", "须包含主机名")
    if parts.username or parts.password:
        return Text("must not carry a user name or password", "不能包含用户名或密码")
    if parts.scheme == "http" and allow_http_loopback and is_loopback(host):
        return None
    if parts.scheme != "https":
        here = allow_http_loopback
        return Text("must be https://" + (" (or http://127.0.0.1 here)" if here else ""),
                    "须以 https:// 开头" + ("（在此也可用 http://127.0.0.1）" if here else ""))
    if is_internal(host) and not (allow_http_loopback and is_loopback(host)):
        # our own network is no endpoint
        return Text("must not name a private, loopback or link-local address", "不能是内网、本机回环或链路本地地址")
    return None


def is_internal(host: str) -> bool:
    """An address literal of a private, loopback, link-local or reserved network (a name is not
    resolved here: the worker does not follow redirects, and production egress should be limited)."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local or address.is_reserved


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def backoff(attempts: int, base_seconds: float, max_seconds: float) -> timedelta:
    """The wait before the next try after ``attempts`` failed ones: base, 2×base, 4×base ... capped."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), max_seconds))


def after_attempt(attempts_before: int, retry_until: datetime, now: datetime, status_code: int | None,
                  error: str | None, base_seconds: float, max_seconds: float) -> dict[str, object]:
    """A delivery's new values after one POST: delivered on a 2xx; else the next try with backoff,
    or ``failed`` once that would fall after its retry window."""
    attempts = attempts_before + 1
    values: dict[str, object] = {"attempts": attempts, "last_attempt_at": now, "last_status_code": status_code,
                                 "last_error": error}
    if accepted(status_code):
        values.update(status=DELIVERED, delivered_at=now, next_attempt_at=None)
    else:
        later = now + backoff(attempts, base_seconds, max_seconds)
        if later > retry_until:
            values.update(status=FAILED, next_attempt_at=None)
        else:
            values.update(next_attempt_at=later)
    return values


def accepted(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300
