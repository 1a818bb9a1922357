"""The household's way in (农户专属链接): an officer who can see a household's file issues a personal
link; the household opens it and types the last four characters of its ID-card number; the console
then mints a short household token (role ``household``, bound to the subject) with its own issuer
key, which the services trust for that role alone. The household reads its own grade, reasons,
points and disclosure log, gives or withdraws its consent and files an objection, through the same
services and their authorisation as everyone else (docs/security.md, the household page)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common.auth import Role, generate_keypair, mint_token
from common.errors import ProblemError
from common.i18n import Text

LAST_DIGITS = 4


def ensure_issuer_key(private_path: Path) -> Path:
    """The household issuer's key pair (private beside ``household-issuer-public.pem``), made once."""
    public_path = private_path.with_name(private_path.stem + "-public.pem")
    if not private_path.exists():
        private_path.parent.mkdir(parents=True, exist_ok=True)
        private, public = generate_keypair()
        private_path.write_bytes(private)
        private_path.chmod(0o600)
        public_path.write_bytes(public)
    return public_path


@dataclass
class Link:
    subject_id: str
    id_ending: str  # the last four characters of the head's ID-card number, from the registry's masked form
    expires_at: datetime
    attempts_left: int


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def id_ending(masked_id_number: str | None) -> str:
    """The last four characters the registry shows of a masked ID-card number (3411**********123X)."""
    ending = (masked_id_number or "")[-LAST_DIGITS:].upper()
    if len(ending) != LAST_DIGITS or "*" in ending:
        raise ProblemError(422, Text("No ID-card number on file", "档案中没有身份证号"),
                           Text("the household's file has no ID-card number to check against",
                                "该农户的档案中没有可供核对的身份证号"), type="no-id-number",
                           errors=[{"field": "subject_id", "message": Text("no ID-card number", "没有身份证号")}])
    return ending


class LinkBook:
    """The links issued, by the digest of their code (the code itself is never kept). Kept in the
    console's memory: a restart voids them and the officer issues new ones."""

    def __init__(self, days: int, attempts: int) -> None:
        self.days, self.attempts = days, attempts
        self._links: dict[str, Link] = {}

    def issue(self, subject_id: str, ending: str, now: datetime) -> tuple[str, Link]:
        code = secrets.token_urlsafe(24)
        link = Link(subject_id, ending, now + timedelta(days=self.days), self.attempts)
        self._links[_digest(code)] = link
        self._links = {k: v for k, v in self._links.items() if v.expires_at > now}  # forget the expired
        return code, link

    def redeem(self, code: str, ending: str, now: datetime) -> Link:
        link = self._links.get(_digest(code))
        if link is None or link.expires_at <= now or link.attempts_left <= 0:
            raise ProblemError(410, Text("Link not valid", "链接无效"),
                               Text("this link has expired, was locked after wrong answers or never existed: "
                                    "ask your village officer for a new one",
                                    "该链接已过期、因多次答错已锁定或从未存在，请向村里的工作人员要一个新链接"),
                               type="link-not-valid", errors=[{"field": "code", "message": Text("not valid", "无效")}])
        if not hmac.compare_digest(link.id_ending, ending.strip().upper()):
            link.attempts_left -= 1
            raise ProblemError(401, Text("Wrong ID-card ending", "身份证号后几位不对"),
                               Text(f"the last {LAST_DIGITS} characters do not match; {link.attempts_left} tries left",
                                    f"身份证号后 {LAST_DIGITS} 位不符，还可以再试 {link.attempts_left} 次"),
                               type="wrong-id-ending",
                               errors=[{"field": "id_ending", "message": Text("does not match", "不符")}],
                               attempts_left=link.attempts_left)
        return link


def household_token(private_pem: bytes, subject_id: str, minutes: int) -> tuple[str, datetime]:
    ttl = timedelta(minutes=minutes)
    token = mint_token(private_pem, Role.household, sub=f"household-{subject_id}", subject_id=subject_id, ttl=ttl)
    return token, datetime.now(UTC) + ttl
