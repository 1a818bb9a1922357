"""Plain rules without a server: grade bits, consent scopes, rotating codes, the POS judgement."""
from __future__ import annotations

from datetime import timedelta

from common.db import utcnow
from merchant.codes.rotating import RotatingCodes
from merchant.grades import grade_bit, grade_mask, grades_of, is_credit_household
from merchant.households.events import consent_columns


def test_grade_bits_and_credit_households() -> None:
    mask = grade_mask(["AAA", "AA"])
    assert mask & grade_bit("AA") and not mask & grade_bit("A")
    assert grades_of(mask) == ["AAA", "AA"]
    assert grade_bit("AAA", vetoed=True) == 0 and grade_bit(None) == 0
    assert is_credit_household("A") and not is_credit_household("B") and not is_credit_household("AAA", vetoed=True)


def test_consent_scopes() -> None:
    assert consent_columns({"given": True}) == {"consent_given": True, "consent_merchant": True, "consent_benefits": True}
    assert consent_columns({"given": True, "scopes": ["benefits"]})["consent_merchant"] is False
    assert consent_columns({"given": False, "scopes": ["merchant"]})["consent_merchant"] is False


def test_rotating_codes_expire_and_cannot_be_forged() -> None:
    issuer = RotatingCodes(b"k" * 32, timedelta(seconds=60))
    now = utcnow()
    code, expires = issuer.issue("ab" * 32, now)
    assert issuer.resolve(code, now) == "ab" * 32
    assert issuer.resolve(code, expires + timedelta(seconds=2)) is None
    assert RotatingCodes(b"x" * 32).resolve(code, now) is None
    assert issuer.resolve(code.replace(".", "", 1), now) is None and issuer.resolve("R1.garbage", now) is None
