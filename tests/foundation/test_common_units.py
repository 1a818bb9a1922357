"""Plain functions of the shared library: PII, settings, schemas, log redaction."""
from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.events.schemas import EventSchemaError, event_types, validate_event
from common.observability import JsonFormatter
from common.pii import (
    PIICipher,
    id_check_char,
    id_number_problem,
    mask_id_number,
    mask_name,
    mask_phone,
    new_key_b64,
    phone_problem,
)
from common.settings import DEV_PII_KEY, ServiceSettings
from rating.ratings import events as rating_events
from registry.settings import RegistrySettings

VALID_ID = "34118119800101" + "123"
VALID_ID += id_check_char(VALID_ID)


def test_id_number_checksum_and_form() -> None:
    assert id_number_problem(VALID_ID) is None
    wrong_check = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
    assert "check character" in str(id_number_problem(wrong_check))
    assert "17 digits" in str(id_number_problem("1234"))
    assert "校验码" in getattr(id_number_problem(wrong_check), "zh", "")  # and in Chinese
    bad_date = "341181" + "19801301" + "123"
    assert "birth date" in str(id_number_problem(bad_date + id_check_char(bad_date)))
    assert id_number_problem("11010519491231002X") is None  # the standard's own example


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_any_wrong_check_character_is_refused(first17: str) -> None:
    good = first17 + id_check_char(first17)
    for c in "0123456789X":
        if c != good[-1]:
            assert id_number_problem(first17 + c) is not None


def test_masking() -> None:
    assert mask_id_number(VALID_ID) == VALID_ID[:4] + "**********" + VALID_ID[-4:]
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧***"
    assert phone_problem("13812345678") is None and phone_problem("12345") is not None


def test_encryption_round_trip_and_blind_index() -> None:
    cipher = PIICipher(new_key_b64(), new_key_b64())
    a, b = cipher.encrypt(VALID_ID), cipher.encrypt(VALID_ID)
    assert a != b, "a fresh nonce each time"
    assert VALID_ID.encode() not in a
    assert cipher.decrypt(a) == VALID_ID
    assert cipher.blind_index(VALID_ID) == cipher.blind_index(VALID_ID.lower() + " ")
    other = PIICipher(new_key_b64(), new_key_b64())
    assert other.blind_index(VALID_ID) != cipher.blind_index(VALID_ID)


def test_prod_refuses_default_secrets() -> None:
    with pytest.raises(ValueError, match="REGISTRY_PII_KEY"):
        RegistrySettings(env="prod", database_url="postgresql://x/y")
    ok = RegistrySettings(env="prod", database_url="postgresql://x/y", pii_key=new_key_b64(), pii_index_key=new_key_b64(),
                          event_keys_dir="/run/keys/events")
    assert ok.pii_key != DEV_PII_KEY
    with pytest.raises(ValueError, match="event_keys_dir"):
        ServiceSettings(env="prod", database_url="postgresql://x/y")
    with pytest.raises(ValueError, match="PostgreSQL"):
        ServiceSettings(env="prod")


def test_log_lines_never_carry_id_or_phone_numbers() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("t"))
    logger = logging.getLogger("test.redact")
    logger.addHandler(handler)
    logger.warning("looked up %s", VALID_ID, extra={"phone": "13812345678"})
    logger.removeHandler(handler)
    line = stream.getvalue()
    assert VALID_ID not in line and "13812345678" not in line
    assert mask_id_number(VALID_ID) in line


def test_every_schema_is_valid_and_rejects_strays() -> None:
    assert {"subject-registered", "subject-updated", "civility-evaluated", "negative-record-changed",
            "rating-changed", "credit-line-changed", "loan-recorded", "loan-repaid", "loan-defaulted",
            "redemption-recorded"} <= set(event_types())
    event = rating_events.rating_changed(
        subject_id="s1", kind="household", county="341181", town="341181100", village="341181100201",
        old_grade=None, new_grade="AA", score=Decimal("85.5"), version=1,
        effective_at=datetime(2026, 11, 25, tzinfo=UTC), reason="round").to_dict()
    validate_event(event)
    event["data"]["id_number"] = VALID_ID  # type: ignore[index]
    with pytest.raises(EventSchemaError, match="Additional properties"):
        validate_event(event)


def test_subject_rounds_keep_each_subjects_order_and_put_one_event_per_subject_in_a_round() -> None:
    from common.events import subject_rounds

    items = [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("a", 3), ("b", 2)]
    rounds = subject_rounds(items, key=lambda i: i[0])
    assert rounds == [[("a", 1), ("b", 1), ("c", 1)], [("a", 2), ("b", 2)], [("a", 3)]]
    for r in rounds:
        assert len({k for k, _ in r}) == len(r)
