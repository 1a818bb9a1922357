"""Lending signs as every webhook does: ``common.webhooks.signing`` (kept importable here for the
banks' copies of our examples)."""
from common.webhooks.signing import HEADER, PREFIX, header, new_secret, signature, verify

__all__ = ["HEADER", "PREFIX", "header", "new_secret", "signature", "verify"]
