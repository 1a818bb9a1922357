"""Bearer tokens: EdDSA (Ed25519) JWTs signed by the county, verified by every service with the
county's public key. A token carries a role and what the role is bound to."""
from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Request
from starlette.datastructures import Headers

from common.errors import ProblemError

ISSUER = "credit-village-county"


class Role(StrEnum):
    admin = "admin"        # the county's financial supervision bureau
    officer = "officer"    # grid officers, village and town cadres: bound to a region code
    bank = "bank"          # a partner bank: bound to a bank id
    merchant = "merchant"  # a merchant or a public-benefit verifier: bound to a merchant id
    platform = "platform"  # the provincial platform: read-only aggregates
    service = "service"    # another service of ours, asking over HTTP


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    sub: str
    bank_id: str | None = None
    merchant_id: str | None = None
    region: str | None = None
    exp: int = 0
    # The county may issue a token whose figures always hide small areas (the stats platform's rule).
    suppress: bool = False

    @property
    def caller_id(self) -> str:
        """Who this is, for idempotency keys and disclosure logs."""
        return f"{self.role}:{self.bank_id or self.merchant_id or self.region or self.sub}"

    def in_region(self, region_code: str | None) -> bool:
        """An officer sees only its own region and what lies inside it (codes nest by prefix)."""
        if self.role != Role.officer:
            return True
        return bool(region_code) and bool(self.region) and str(region_code).startswith(str(self.region))


def generate_keypair() -> tuple[bytes, bytes]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def ensure_keypair(directory: Path) -> tuple[Path, Path]:
    """The dev county's signing key pair under ``directory`` (made once)."""
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / "county-private.pem", directory / "county-public.pem"
    if not private.exists() or not public.exists():
        priv, pub = generate_keypair()
        private.write_bytes(priv)
        private.chmod(0o600)
        public.write_bytes(pub)
    return private, public


_BINDING = {Role.officer: "region", Role.bank: "bank_id", Role.merchant: "merchant_id"}


def mint_token(private_key_pem: bytes, role: Role | str, *, sub: str | None = None,
               ttl: timedelta = timedelta(days=30), **binding: str | bool) -> str:
    role = Role(role)
    needed = _BINDING.get(role)
    if needed and not binding.get(needed):
        raise ValueError(f"a {role} token must be bound to a {needed}")
    # Token lifetimes run on the machine's real time (what PyJWT checks), never the county's
    # business clock, which tests may move.
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"iss": ISSUER, "sub": sub or f"{role}-{binding.get(needed or '', 'county')}",
                              "role": str(role), "iat": int(now.timestamp()),
                              "exp": int((now + ttl).timestamp()), "jti": uuid.uuid4().hex}
    claims.update({k: v for k, v in binding.items() if v})
    key = serialization.load_pem_private_key(private_key_pem, None)
    return jwt.encode(claims, key, algorithm="EdDSA")  # type: ignore[arg-type]


class TokenVerifier:
    """Verifies tokens with the public key loaded once; remembers recent good tokens so the hot
    paths do not pay for a signature check on every request."""

    def __init__(self, public_key_pem: bytes, cache_size: int = 4096) -> None:
        self._key = serialization.load_pem_public_key(public_key_pem)
        self._cache: OrderedDict[str, Principal] = OrderedDict()
        self._cache_size = cache_size

    def verify(self, token: str) -> Principal:
        now = int(time.time())
        cached = self._cache.get(token)
        if cached is not None and cached.exp > now:
            return cached
        try:
            claims = jwt.decode(token, self._key, algorithms=["EdDSA"], issuer=ISSUER,  # type: ignore[arg-type]
                                options={"require": ["exp", "role", "sub"]})
            principal = Principal(role=Role(claims["role"]), sub=claims["sub"], bank_id=claims.get("bank_id"),
                                  merchant_id=claims.get("merchant_id"), region=claims.get("region"),
                                  exp=int(claims["exp"]), suppress=claims.get("suppress") in (True, "true", "1", 1))
        except (jwt.PyJWTError, ValueError) as exc:
            raise unauthorized(f"invalid token: {exc}") from exc
        self._cache[token] = principal
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return principal


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail, type="unauthorized")


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "Forbidden", detail, type="forbidden")


def principal_of(headers: Mapping[str, str] | Headers, verifier: TokenVerifier) -> Principal:
    """The caller named by the request's bearer token (401 without a good one)."""
    header = headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("a bearer token is required")
    return verifier.verify(token.strip())


def check_role(principal: Principal, allowed: frozenset[Role]) -> Principal:
    """The caller, if its role is one of ``allowed`` (403 otherwise)."""
    if principal.role not in allowed:
        raise forbidden(f"role {principal.role} may not call this; needs one of "
                        + ", ".join(sorted(str(r) for r in allowed)))
    return principal


def authenticate(request: Request) -> Principal:
    return principal_of(request.headers, request.app.state.token_verifier)


# Marks a dependency that authenticates the caller: ``common.app.BodyGuard`` finds it on a route
# and checks the token (and the role) before a byte of the body is read.
AUTH_ROLES_ATTR = "_auth_roles"
ANY_ROLE = frozenset(Role)


def require_roles(*roles: Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """Dependency: the caller, if its role is one of ``roles`` (admin is always allowed)."""
    allowed = frozenset(roles) | {Role.admin}

    async def dependency(request: Request) -> Principal:
        return check_role(authenticate(request), allowed)

    setattr(dependency, AUTH_ROLES_ATTR, allowed)
    return dependency
