"""Bearer tokens: EdDSA (Ed25519) JWTs signed by the county, verified by every service with the
county's public key(s). A token carries a role, what the role is bound to, the services it is for
(``aud``) and an id (``jti``) that the county can revoke. See docs/security.md."""
from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Request
from starlette.datastructures import Headers

from common.errors import ProblemError
from common.i18n import Text, status_title

log = logging.getLogger("common.auth")

ISSUER = "credit-village-county"
# The services a token can be addressed to (its audience): each refuses tokens not meant for it.
SERVICES = ("registry", "rating", "lending", "merchant", "stats")
# Minutes to hours, never weeks: a stolen token is worth little for long, and revocation lists stay short.
DEFAULT_TTL = timedelta(hours=1)
MAX_TTL = timedelta(hours=12)
# Clocks of two machines differ a little; more than this is a token used too early or too late.
LEEWAY_SECONDS = 30


class Role(StrEnum):
    admin = "admin"        # the county's financial supervision bureau
    officer = "officer"    # grid officers, village and town cadres: bound to a whole region code
    bank = "bank"          # a partner bank: bound to a bank id
    merchant = "merchant"  # a merchant or a public-benefit verifier: bound to a merchant id
    platform = "platform"  # the provincial platform: read-only aggregates
    service = "service"    # one of our own callers (a service identity with scopes), asking over HTTP
    # a household (农户) on its own page: bound to its subject id, reads only its own grade, points and
    # disclosure log, gives or withdraws its consent, files an objection (minted by the console)
    household = "household"


class Scope(StrEnum):
    """What a service identity may do: a route names the one scope it accepts from services."""
    subjects_lookup = "subjects:lookup"          # resolve an ID-card number at the registry
    codes_rotate = "codes:rotate"                # mint a household's rotating QR code
    applications_submit = "applications:submit"  # submit a household's online loan application


@dataclass(frozen=True)
class ServiceIdentity:
    scopes: frozenset[Scope]
    audience: tuple[str, ...]


# One identity per calling service, with only the scopes it uses. A service token names its identity;
# a token asking for a scope its identity does not have is refused at verification.
SERVICE_IDENTITIES: dict[str, ServiceIdentity] = {
    # lending asks the registry who holds an ID-card number, on a partner bank's behalf
    "lending": ServiceIdentity(frozenset({Scope.subjects_lookup}), ("registry",)),
    # the household channel (the phone app's backend): rotating codes and online applications
    "household-channel": ServiceIdentity(frozenset({Scope.codes_rotate, Scope.applications_submit}),
                                         ("merchant", "lending")),
}

# Whom a role's token is addressed to unless the county says otherwise (the public contracts).
ROLE_AUDIENCE: dict[Role, tuple[str, ...]] = {
    Role.admin: SERVICES, Role.officer: SERVICES, Role.bank: ("lending", "rating"),
    Role.merchant: ("merchant",), Role.platform: ("stats", "lending", "rating"),
    Role.household: SERVICES[:4],  # registry, rating, lending, merchant: never stats
}

# Statistical area codes: county 6 digits, town 9, village 12, village group 13 to 15.
_REGION_CODE = re.compile(r"^\d{6}(\d{3}(\d{3}(\d{1,3})?)?)?$")


def is_region_code(code: object) -> bool:
    return isinstance(code, str) and bool(_REGION_CODE.match(code))


def region_contains(outer: str, inner: str) -> bool:
    """Whether ``inner`` is ``outer`` or lies inside it, comparing whole codes: a county, town or
    village holds the codes that extend it; a village group holds only itself (groups of one village
    have codes of different lengths, so a prefix would reach a sibling)."""
    if not is_region_code(outer) or not is_region_code(inner):
        return False
    if inner == outer:
        return True
    return len(outer) in (6, 9, 12) and len(inner) > len(outer) and inner.startswith(outer)


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
    service: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    jti: str = ""
    subject_id: str | None = None

    @property
    def caller_id(self) -> str:
        """Who this is, for idempotency keys and disclosure logs."""
        return f"{self.role}:{self.bank_id or self.merchant_id or self.region or self.service or self.sub}"

    def in_region(self, region_code: str | None) -> bool:
        """An officer sees only its own region and what lies inside it (whole codes, see region_contains)."""
        if self.role == Role.household:
            return False  # a household sees no region, only itself (is_self)
        if self.role != Role.officer:
            return True
        return bool(region_code) and bool(self.region) and region_contains(str(self.region), str(region_code))

    def is_self(self, subject_id: str | None) -> bool:
        """Whether this is the household ``subject_id`` itself (its own page)."""
        return self.role == Role.household and bool(subject_id) and self.subject_id == subject_id

    def has_scope(self, scope: Scope) -> bool:
        return self.role == Role.service and str(scope) in self.scopes


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


def key_id(public_key: Ed25519PublicKey) -> str:
    """The ``kid`` of a county key: lets a service hold the old and the new key during a rotation."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


_BINDING = {Role.officer: "region", Role.bank: "bank_id", Role.merchant: "merchant_id", Role.service: "service",
            Role.household: "subject_id"}


def binding_problem(claims: dict[str, Any]) -> str | None:
    """Why a token's role and bindings do not hold together, or None. Checked when minting and again
    when verifying, so a token minted by hand or by an older tool cannot slip through."""
    try:
        role = Role(str(claims.get("role")))
    except ValueError:
        return f"unknown role {claims.get('role')!r}"
    for owner, claim in _BINDING.items():
        value = claims.get(claim)
        if owner == role:
            if not isinstance(value, str) or not value.strip():
                return f"a {role} token must be bound to a {claim}"
        elif value not in (None, ""):
            return f"a {role} token may not carry {claim}"
    if role == Role.officer and not is_region_code(claims["region"]):
        return "an officer token must be bound to a whole region code (6, 9, 12 or 13-15 digits)"
    if role == Role.service:
        identity = SERVICE_IDENTITIES.get(claims["service"])
        if identity is None:
            return f"unknown service identity {claims['service']!r}"
        scope = claims.get("scope", "")
        asked = set(scope.split()) if isinstance(scope, str) else {"?"}
        extra = asked - {str(s) for s in identity.scopes}
        if extra:
            return f"service {claims['service']} does not have scope(s) {', '.join(sorted(extra))}"
    elif "scope" in claims:
        return "only a service token carries scopes"
    return None


def mint_token(private_key_pem: bytes, role: Role | str, *, sub: str | None = None, ttl: timedelta = DEFAULT_TTL,
               audience: str | Iterable[str] | None = None, **binding: str | bool) -> str:
    """A token for ``role``; ``audience`` defaults to the role's (or the service identity's) services."""
    role = Role(role)
    needed = _BINDING.get(role)
    # Token lifetimes run on the machine's real time (what PyJWT checks), never the county's
    # business clock, which tests may move.
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"iss": ISSUER, "sub": sub or f"{role}-{binding.get(needed or '', 'county')}",
                              "role": str(role), "iat": int(now.timestamp()),
                              "exp": int((now + ttl).timestamp()), "jti": uuid.uuid4().hex}
    claims.update({k: v for k, v in binding.items() if v})
    identity = SERVICE_IDENTITIES.get(str(binding.get("service"))) if role == Role.service else None
    if identity is not None:
        claims["scope"] = " ".join(sorted(str(s) for s in identity.scopes))
    problem = binding_problem(claims)
    if problem:
        raise ValueError(problem)
    if audience is None:
        audience = identity.audience if identity else ROLE_AUDIENCE.get(role, SERVICES)
    claims["aud"] = [audience] if isinstance(audience, str) else list(audience)
    key = serialization.load_pem_private_key(private_key_pem, None)
    kid = key_id(key.public_key())  # type: ignore[arg-type]
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})  # type: ignore[arg-type]


class Denylist:
    """Revoked token ids (``jti``), one per line of a plain file that every service reads: the county
    appends to it (``python -m common.tokens revoke``) and deploys it like the public key. A service
    looks at the file's size and time at most every ``refresh_seconds`` and reads it again when it
    changed, so a revocation holds everywhere within that time without a call on the request path.
    Lines: ``<jti> [<exp as epoch seconds>] [# note]``; a line may be dropped once its token expired."""

    def __init__(self, path: Path | str | None, refresh_seconds: float = 1.0) -> None:
        self.path = Path(path) if path else None
        self.refresh_seconds = refresh_seconds
        self._ids: frozenset[str] = frozenset()
        self._seen: tuple[int, int] | None = None
        self._checked = float("-inf")

    def __contains__(self, jti: object) -> bool:
        self._refresh()
        return jti in self._ids

    def _refresh(self) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if now - self._checked < self.refresh_seconds:
            return
        self._checked = now
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._ids, self._seen = frozenset(), None
            return
        seen = (stat.st_mtime_ns, stat.st_size)
        if seen == self._seen:
            return
        # An unreadable list raises (the request fails) rather than letting revoked tokens back in.
        self._ids = frozenset(parse_denylist(self.path.read_text()))
        self._seen = seen


def parse_denylist(text: str) -> list[str]:
    return [line.split()[0] for line in (raw.split("#", 1)[0].strip() for raw in text.splitlines()) if line]


def revoke(path: Path, jti: str, exp: int | None = None, note: str = "") -> None:
    """Append one token id to the denylist file (made if missing)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", jti):
        raise ValueError("a token id (jti) is 8-64 letters, digits, - or _")
    path.parent.mkdir(parents=True, exist_ok=True)
    line = " ".join(x for x in (jti, str(exp) if exp else "", f"# {note}" if note else "") if x)
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def public_keys(pem: bytes) -> dict[str, Ed25519PublicKey]:
    """Every county public key in ``pem`` (several PEM blocks during a key rotation), by key id."""
    blocks = re.findall(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", pem, flags=re.S) or [pem]
    keys: dict[str, Ed25519PublicKey] = {}
    for block in blocks:
        key = serialization.load_pem_public_key(block)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the county's keys are Ed25519 keys")
        keys[key_id(key)] = key
    return keys


class TokenVerifier:
    """Verifies tokens with the public keys loaded once; remembers recent good tokens so the hot
    paths do not pay for a signature check on every request (the denylist is still asked each time)."""

    def __init__(self, public_key_pem: bytes, audience: str, *, leeway: int = LEEWAY_SECONDS,
                 max_lifetime: timedelta = MAX_TTL, denylist: Denylist | None = None, cache_size: int = 4096,
                 household_issuer_pem: bytes = b"") -> None:
        self._keys = public_keys(public_key_pem)
        # The console's own key signs household tokens only (after a household proved itself with the
        # officer's one-time link and its ID number's last digits): any other role it signs is refused.
        household = public_keys(household_issuer_pem) if household_issuer_pem.strip() else {}
        self._household_only = frozenset(kid for kid in household if kid not in self._keys)
        self._keys.update({kid: key for kid, key in household.items() if kid in self._household_only})
        self.audience = audience
        self.leeway = leeway
        self.max_lifetime = int(max_lifetime.total_seconds())
        self.denylist = denylist or Denylist(None)
        self._cache: OrderedDict[str, Principal] = OrderedDict()
        self._cache_size = cache_size

    def verify(self, token: str) -> Principal:
        now = int(time.time())
        principal = self._cache.get(token)
        if principal is None or principal.exp + self.leeway <= now:
            principal = self._decode(token)
            self._cache[token] = principal
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if principal.jti in self.denylist:
            raise unauthorized(Text("this token has been revoked", "该令牌已被吊销"))
        return principal

    def _decode(self, token: str) -> Principal:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) if kid else None
            if key is None:
                raise unauthorized(Text("the token is not signed by a county key this service trusts",
                                        "该令牌不是用本服务信任的县级密钥签发的"))
            claims = jwt.decode(token, key, algorithms=["EdDSA"], issuer=ISSUER, audience=self.audience,
                                leeway=self.leeway,
                                options={"require": ["exp", "iat", "jti", "aud", "role", "sub"]})
            if int(claims["exp"]) - int(claims["iat"]) > self.max_lifetime:
                raise unauthorized(Text(f"the token lives longer than {self.max_lifetime} seconds; ask for a short-lived one",
                                        f"该令牌有效期超过 {self.max_lifetime} 秒，请申请短期令牌"))
            problem = binding_problem(claims)
            if problem:
                raise unauthorized(invalid_token(problem))
            if kid in self._household_only and claims["role"] != Role.household:
                raise unauthorized(Text("the household issuer's key signs household tokens only",
                                        "农户端签发方的密钥只能签发农户令牌"))
            scope = claims.get("scope", "")
            return Principal(role=Role(claims["role"]), sub=claims["sub"], bank_id=claims.get("bank_id"),
                             merchant_id=claims.get("merchant_id"), region=claims.get("region"),
                             exp=int(claims["exp"]), suppress=claims.get("suppress") in (True, "true", "1", 1),
                             service=claims.get("service"), scopes=frozenset(scope.split()), jti=str(claims["jti"]),
                             subject_id=claims.get("subject_id"))
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise unauthorized(invalid_token(str(exc))) from exc


class ServiceCredential:
    """This service's own token for calling another service: given as text (tests), or read from a
    file that whoever mints service tokens keeps fresh (``make run`` does it; in production a job of
    the county's token issuer). The file is read again whenever it changes."""

    def __init__(self, token: str = "", path: str | Path = "") -> None:
        self._token = token.strip()
        self.path = Path(path) if path and not self._token else None
        self._seen: tuple[int, int] | None = None

    def authorization(self) -> str:
        if self.path is not None:
            try:
                stat = self.path.stat()
                if (stat.st_mtime_ns, stat.st_size) != self._seen:
                    self._token, self._seen = self.path.read_text().strip(), (stat.st_mtime_ns, stat.st_size)
            except OSError:
                self._token, self._seen = "", None
        if not self._token:
            raise ProblemError(503, Text("No service identity", "本服务缺少自身身份"),
                               Text("this service has no token of its own to call another service with "
                                    "(service_token or service_token_file)",
                                    "本服务没有调用其他服务所用的自身令牌（service_token 或 service_token_file）"),
                               type="no-service-identity")
        return f"Bearer {self._token}"


def unauthorized(detail: Text) -> ProblemError:
    return ProblemError(401, status_title(401), detail, type="unauthorized")


def forbidden(detail: Text) -> ProblemError:
    return ProblemError(403, status_title(403), detail, type="forbidden")


def invalid_token(reason: str) -> Text:
    # The reason is the token library's (or binding_problem's) own words: technical, kept as they are.
    return Text(f"invalid token: {reason}", f"令牌无效：{reason}")


def principal_of(headers: Mapping[str, str] | Headers, verifier: TokenVerifier) -> Principal:
    """The caller named by the request's bearer token (401 without a good one)."""
    header = headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized(Text("a bearer token is required", "需要在 Authorization 头中提供 Bearer 令牌"))
    return verifier.verify(token.strip())


def check_role(principal: Principal, allowed: frozenset[Role], scope: Scope | None = None) -> Principal:
    """The caller, if its role is one of ``allowed`` or it is a service identity holding ``scope``
    (403 otherwise)."""
    if principal.role not in allowed and not (scope is not None and principal.has_scope(scope)):
        roles = ", ".join(sorted(str(r) for r in allowed))
        raise forbidden(Text(
            f"role {principal.role} may not call this; needs one of {roles}"
            + (f", or a service with scope {scope}" if scope else ""),
            f"角色 {principal.role} 无权调用此接口，需要以下角色之一：{roles}"
            + (f"，或持有 {scope} 权限的服务" if scope else "")))
    return principal


def authenticate(request: Request) -> Principal:
    return principal_of(request.headers, request.app.state.token_verifier)


# Marks a dependency that authenticates the caller: ``common.app.BodyGuard`` finds it on a route
# and checks the token (and the role or scope: an ``Admission``) before a byte of the body is read.
AUTH_ROLES_ATTR = "_auth_roles"


@dataclass(frozen=True)
class Admission:
    """Who a route lets in: these roles, or a service identity holding ``scope``."""
    roles: frozenset[Role]
    scope: Scope | None = None

    def check(self, principal: Principal) -> Principal:
        return check_role(principal, self.roles, self.scope)


ANY_CALLER = Admission(frozenset(Role))

# A service's check of the caller against its own records (is this bank or merchant still active?),
# run after the role check on every route: ServiceSpec.caller_gate.
CallerGate = Callable[[Request, Principal], Awaitable[None]]


def admitting(*roles: Role, scope: Scope | None = None) -> Admission:
    """Who ``require_roles(*roles, scope=scope)`` lets in (admin always)."""
    return Admission(frozenset(roles) | {Role.admin}, scope)


async def admit(request: Request, admission: Admission) -> Principal:
    """The caller, if ``admission`` lets it in and the service's caller gate passes it: what
    ``require_roles`` does, for a hot route served without FastAPI's dependency machinery."""
    principal = admission.check(authenticate(request))
    gate: CallerGate | None = getattr(request.app.state, "caller_gate", None)
    if gate is not None:
        await gate(request, principal)
    return principal


def require_roles(*roles: Role, scope: Scope | None = None) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """Dependency: the caller, if its role is one of ``roles`` (admin is always allowed) or it is a
    service identity holding ``scope``; then the service's caller gate, if it has one."""
    if Role.service in roles:
        raise ValueError("services are let in by scope (require_roles(..., scope=Scope.x)), never by role")
    admission = admitting(*roles, scope=scope)

    async def dependency(request: Request) -> Principal:
        return await admit(request, admission)

    setattr(dependency, AUTH_ROLES_ATTR, admission)
    return dependency
