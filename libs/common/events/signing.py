"""Authentic events: each record on the broker is signed by the service entitled to produce its
type, and a consumer applies only records whose signature that service's public key verifies.

Anyone who can write to the broker (a compromised service, a stolen client credential, a tool
left on the intranet) could otherwise announce a grade, a line or a household. The relay signs
with its service's Ed25519 event key, over the record's event type and value, and sends the
signature in a record header (the envelope stays as its JSON Schema defines it). The consumer
picks the key by the event type (``PRODUCERS``), never by what the record claims, so lending's
key cannot vouch for a ``rating-changed``; a record that fails goes to the DLQ.

Keys live in one directory per deployment (``<service>-private.pem`` for a producer's own key,
``<service>-public.pem`` for every producer's public key): ``ensure_event_keys`` makes the dev and
test set; production mounts them (a service holds its own private key and the public ones).
"""
from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from common.events.topics import event_type_of

# The one service entitled to produce each event type (its builder's ``source``).
PRODUCERS: Mapping[str, str] = {
    "subject-registered": "registry",
    "subject-updated": "registry",
    "civility-evaluated": "registry",
    "negative-record-changed": "registry",
    "rating-changed": "rating",
    "credit-line-changed": "lending",
    "loan-recorded": "lending",
    "loan-repaid": "lending",
    "loan-defaulted": "lending",
    "redemption-recorded": "merchant",
}
SIGNATURE_HEADER = "cv-signature"
PRODUCER_HEADER = "cv-producer"  # for people reading the topic; the key is chosen by the type


class ForgedEvent(ValueError):
    """A record not signed by the producer entitled to its event type."""


def _signed_bytes(topic: str, value: bytes) -> bytes:
    # The type is signed with the value: a record signed for one topic cannot be replayed on another.
    return event_type_of(topic).encode() + b"\n" + value


class EventSigner:
    """A producer's signing key: the headers the relay sends with each record."""

    def __init__(self, producer: str, private_pem: bytes) -> None:
        key = serialization.load_pem_private_key(private_pem, None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{producer}'s event key is not an Ed25519 private key")
        self.producer = producer
        self._key = key
        self._producer_header = producer.encode()

    def headers(self, topic: str, value: bytes) -> list[tuple[str, bytes]]:
        signature = base64.b64encode(self._key.sign(_signed_bytes(topic, value)))
        return [(SIGNATURE_HEADER, signature), (PRODUCER_HEADER, self._producer_header)]


class EventVerifier:
    """The producers' public keys: ``check`` raises ``ForgedEvent`` unless a record is signed by
    the producer entitled to its topic's event type. A producer whose key is missing is refused."""

    def __init__(self, public_pems: Mapping[str, bytes]) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for producer, pem in public_pems.items():
            key = serialization.load_pem_public_key(pem)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError(f"{producer}'s event key is not an Ed25519 public key")
            self._keys[producer] = key

    def check(self, topic: str, value: bytes, headers: Sequence[tuple[str, bytes | None]] | None) -> None:
        event_type = event_type_of(topic)
        producer = PRODUCERS.get(event_type)
        if producer is None:
            raise ForgedEvent(f"no producer is entitled to {event_type}")
        key = self._keys.get(producer)
        if key is None:
            raise ForgedEvent(f"no public key of {producer} to verify {event_type}")
        signature = next((v for k, v in headers or () if k == SIGNATURE_HEADER), None)
        if not signature:
            raise ForgedEvent(f"{event_type} is not signed")
        try:
            key.verify(base64.b64decode(signature), _signed_bytes(topic, value))
        except (InvalidSignature, ValueError) as exc:
            raise ForgedEvent(f"{event_type} is not signed by {producer}") from exc


def private_key_path(directory: Path, producer: str) -> Path:
    return directory / f"{producer}-private.pem"


def public_key_path(directory: Path, producer: str) -> Path:
    return directory / f"{producer}-public.pem"


def load_signer(directory: Path, producer: str) -> EventSigner:
    return EventSigner(producer, private_key_path(directory, producer).read_bytes())


def load_verifier(directory: Path) -> EventVerifier:
    """Every producer's public key found in ``directory``."""
    return EventVerifier({p: public_key_path(directory, p).read_bytes() for p in sorted(set(PRODUCERS.values()))
                          if public_key_path(directory, p).exists()})


def ensure_event_keys(directory: Path, producers: Iterable[str] | None = None) -> Path:
    """The dev and test key set: a key pair per producer under ``directory``, made once."""
    from common.auth import generate_keypair

    directory.mkdir(parents=True, exist_ok=True)
    for producer in sorted(set(producers or PRODUCERS.values())):
        private, public = private_key_path(directory, producer), public_key_path(directory, producer)
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
