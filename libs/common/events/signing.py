"""Authentic events: each record on the broker carries proof that the service entitled to produce
its type sent it, and a consumer applies only records whose proof it can check.

Anyone who can write to the broker (a compromised service, a stolen client credential, a tool
left on the intranet) could otherwise announce a grade, a line or a household. Every service has an
X25519 key pair; a producer and a consumer agree a key of their own pair from one's private and
the other's public key (static Diffie-Hellman, then HKDF), and the producer's relay sends, for each
service, an HMAC-SHA256 under that pair's key over the record's event type and value
(``cv-auth-<service>`` headers; the envelope stays as its JSON Schema defines it). The consumer
takes the key of the pair (producer entitled to the type, itself), never trusting what the record
claims, so lending cannot vouch for a ``rating-changed`` to merchant: it holds no key of the pair
(rating, merchant). Chosen over a signature per record because a county round is 111,000 records
to three consumers: an Ed25519 check costs about 80 us, an HMAC 2 us.

Keys live in one directory per deployment (``<service>-private.pem`` for a service's own key,
``<service>-public.pem`` for every service's public key): ``ensure_event_keys`` makes the dev and
test set; production mounts them (a service holds its own private key and the public ones).
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from common.events.topics import event_type_of

# The one service entitled to produce each event type (its builder's ``source``).
PRODUCERS: Mapping[str, str] = {
    "subject-registered": "registry",
    "subject-updated": "registry",
    "civility-evaluated": "registry",
    "negative-record-changed": "registry",
    "region-changed": "registry",
    "rating-changed": "rating",
    "credit-line-changed": "lending",
    "loan-recorded": "lending",
    "loan-repaid": "lending",
    "loan-defaulted": "lending",
    "redemption-recorded": "merchant",
}
# Every service holds a key pair: producers to prove, consumers to check (stats only checks).
SERVICES = ("registry", "rating", "lending", "merchant", "stats")
AUTH_HEADER = "cv-auth-"  # + the consumer's name


class ForgedEvent(ValueError):
    """A record not sent by the producer entitled to its event type."""


def _signed_bytes(topic: str, value: bytes) -> bytes:
    # The type is covered with the value: a record proved for one topic cannot be replayed on another.
    return event_type_of(topic).encode() + b"\n" + value


def _private(pem: bytes, service: str) -> X25519PrivateKey:
    key = serialization.load_pem_private_key(pem, None)
    if not isinstance(key, X25519PrivateKey):
        raise ValueError(f"{service}'s event key is not an X25519 private key")
    return key


def _pair_key(own: X25519PrivateKey, other_pem: bytes, producer: str, consumer: str) -> bytes:
    other = serialization.load_pem_public_key(other_pem)
    if not isinstance(other, X25519PublicKey):
        raise ValueError(f"an event key of the pair {producer} -> {consumer} is not an X25519 public key")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"credit-village events {producer} -> {consumer}".encode()).derive(own.exchange(other))


class EventSigner:
    """A producer's keys, one per consumer: the headers the relay sends with each record."""

    def __init__(self, producer: str, private_pem: bytes, public_pems: Mapping[str, bytes]) -> None:
        own = _private(private_pem, producer)
        self.producer = producer
        self._keys = [((AUTH_HEADER + consumer), _pair_key(own, pem, producer, consumer))
                      for consumer, pem in sorted(public_pems.items())]

    def headers(self, topic: str, value: bytes) -> list[tuple[str, bytes]]:
        message = _signed_bytes(topic, value)
        return [(name, hmac.new(key, message, hashlib.sha256).digest()) for name, key in self._keys]


class EventVerifier:
    """A consumer's keys, one per producer: ``check`` raises ``ForgedEvent`` unless a record was
    sent by the producer entitled to its topic's event type. A producer without a key is refused."""

    def __init__(self, consumer: str, private_pem: bytes, public_pems: Mapping[str, bytes]) -> None:
        own = _private(private_pem, consumer)
        self.consumer = consumer
        self._header = AUTH_HEADER + consumer
        self._keys = {producer: _pair_key(own, pem, producer, consumer) for producer, pem in public_pems.items()}

    def check(self, topic: str, value: bytes, headers: Sequence[tuple[str, bytes | None]] | None) -> None:
        event_type = event_type_of(topic)
        producer = PRODUCERS.get(event_type)
        if producer is None:
            raise ForgedEvent(f"no producer is entitled to {event_type}")
        key = self._keys.get(producer)
        if key is None:
            raise ForgedEvent(f"no key of {producer} to check {event_type}")
        proof = next((v for k, v in headers or () if k == self._header), None)
        if not proof:
            raise ForgedEvent(f"{event_type} carries no proof for {self.consumer}")
        if not hmac.compare_digest(proof, hmac.new(key, _signed_bytes(topic, value), hashlib.sha256).digest()):
            raise ForgedEvent(f"{event_type} was not sent by {producer}")


def private_key_path(directory: Path, producer: str) -> Path:
    return directory / f"{producer}-private.pem"


def public_key_path(directory: Path, producer: str) -> Path:
    return directory / f"{producer}-public.pem"


def _public_pems(directory: Path) -> dict[str, bytes]:
    return {s: public_key_path(directory, s).read_bytes() for s in SERVICES if public_key_path(directory, s).exists()}


def load_signer(directory: Path, producer: str) -> EventSigner:
    return EventSigner(producer, private_key_path(directory, producer).read_bytes(), _public_pems(directory))


def load_verifier(directory: Path, consumer: str) -> EventVerifier:
    """``consumer``'s keys for every service whose public key is in ``directory``."""
    return EventVerifier(consumer, private_key_path(directory, consumer).read_bytes(), _public_pems(directory))


def generate_keypair() -> tuple[bytes, bytes]:
    key = X25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def ensure_event_keys(directory: Path, services: Iterable[str] | None = None) -> Path:
    """The dev and test key set: a key pair per service under ``directory``, made once."""
    directory.mkdir(parents=True, exist_ok=True)
    for service in sorted(set(services or SERVICES)):
        private, public = private_key_path(directory, service), public_key_path(directory, service)
        if private.exists() and public.exists():
            continue
        priv, pub = generate_keypair()
        private.write_bytes(priv)
        private.chmod(0o600)
        public.write_bytes(pub)
    return directory


if __name__ == "__main__":  # python -m common.events.signing DIR: the key set for a deployment
    import sys

    made = ensure_event_keys(Path(sys.argv[1]))
    print(f"event keys in {made}: give each service its <service>-private.pem and every *-public.pem")
