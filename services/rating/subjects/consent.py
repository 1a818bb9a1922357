"""Consent (授权) to rating: the registry records at registration which uses a subject signed for
(``lending``, ``rating``, ``merchant``, ``benefits``, ``statistics``); rating scores only those that
consented to ``rating``."""
from __future__ import annotations

from typing import Any

RATING_SCOPE = "rating"


def consents_to_rating(consent: dict[str, Any] | None) -> bool:
    """Given with ``rating`` among its scopes, or given without scopes (= every use, the registry's
    rule and merchant's). Not given, or given for other uses only, means no rating."""
    if not consent or not consent.get("given"):
        return False
    scopes = consent.get("scopes")
    return not scopes or RATING_SCOPE in scopes
