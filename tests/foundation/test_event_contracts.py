"""The event contracts cannot drift between producer and consumer:

- every event type's JSON Schema is strict: each object names every property in ``required`` and
  refuses any other (a value that may be absent is a nullable type, sent as null), so a consumer
  can never read a field that its producer leaves out;
- every event type has exactly one typed builder in its producer's ``events`` module, and what it
  builds validates against the schema;
- no service spells an event at an emit site (no ``Event(...)`` outside the builder modules, no
  ``emit(..., data=...)``), so the builders are the only way an event is made.
"""
from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from common.events import Event, validate_event
from common.events.schemas import event_types, schema_of
from lending import events as lending_events
from merchant import events as merchant_events
from rating.ratings import events as rating_events
from registry import events as registry_events

SERVICES = Path(__file__).resolve().parents[2] / "services"
BUILDER_MODULES = {"registry/events.py", "lending/events.py", "merchant/events.py", "rating/ratings/events.py"}
AT = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
REGION = {"county": "341181", "town": "341181100", "village": "341181100201", "group": None}
CONSENT = {"given": True, "date": date(2026, 3, 1), "scopes": ["rating", "lending"]}

# Each event type's one builder, with typical arguments.
BUILDERS: dict[str, tuple[Callable[..., Event], dict[str, Any]]] = {
    "subject-registered": (registry_events.registered, dict(
        subject_id="hh-1", kind="household", region_codes=REGION, version=1, masked_name="张*",
        profile={"annual_income": Decimal("86000"), "industry": "芡实"}, consent=CONSENT, registered_at=AT)),
    "subject-updated": (registry_events.updated, dict(
        subject_id="hh-1", kind="household", region_codes=REGION, version=2, masked_name="张*", profile={},
        consent=CONSENT, status="archived", changed_fields=["status"], updated_at=AT)),
    "civility-evaluated": (registry_events.civility_evaluated, dict(
        subject_id="hh-1", evaluation_id="ev-1", catalogue_version=1, score=85, base=80, positive_points=8,
        negative_points=-3, veto=False, veto_items=[], aspects={"filial_care": 8, "customs_reform": -3}, version=3,
        published_at=AT)),
    "negative-record-changed": (registry_events.negative_record_changed, dict(
        record_id="neg-1", subject_id="hh-1", agency="court", record_kind="dishonest_judgment_debtor",
        status="raised", veto=True, effective_from=date(2026, 11, 1), expires_on=date(2028, 11, 1), version=4,
        changed_at=AT)),
    "region-changed": (registry_events.region_changed, dict(
        code="341181104", name="秦栏镇", level="town", parent_code="341181", version=2, changed_at=AT)),
    "rating-changed": (rating_events.rating_changed, dict(
        subject_id="hh-1", kind="household", county="341181", town="341181100", village="341181100201",
        old_grade=None, new_grade="AA", score=Decimal("85.5"), version=1, effective_at=AT, reason="round 2026")),
    "credit-line-changed": (lending_events.credit_line_changed, dict(
        subject_id="hh-1", kind="household", region_codes=REGION, grade="AA", line_amount=Decimal("300000"),
        drawn=Decimal("0"), status="active", max_markup=Decimal("0.30"), valid_until=date(2028, 11, 30), version=1,
        reason="granted: grade - → AA", change="granted", rating_version=1, policy_version=1,
        freeze_reason=None)),
    "loan-recorded": (lending_events.loan_recorded, dict(
        loan_id="loan-1", subject_id="hh-1", bank_id="bank-1", region_codes=REGION, kind="household",
        amount=Decimal("50000"), annual_rate=Decimal("4.20"), term_months=12, product=None, drawn_at=AT)),
    "loan-repaid": (lending_events.loan_repaid, dict(
        loan_id="loan-1", subject_id="hh-1", bank_id="bank-1", region_codes=REGION, kind="household",
        amount=Decimal("50000"), outstanding=Decimal("0"), on_time=True, repaid_at=AT)),
    "loan-defaulted": (lending_events.loan_defaulted, dict(
        loan_id="loan-1", subject_id="hh-1", bank_id="bank-1", region_codes=None, kind="household",
        loss_amount=Decimal("100000"), shares={"bank": Decimal("20000"), "guarantee_company": Decimal("40000")},
        fund_paid=None, defaulted_at=AT)),
    "redemption-recorded": (merchant_events.redemption_recorded, dict(
        redemption_id="r-1", merchant_id="m-1", offer_id="o-1", subject_id="hh-1", region_codes=REGION,
        bill_amount=Decimal("128.5"), discount=Decimal("12.85"), status="reversed", redeemed_at=AT,
        receipt_id="r-1", programme_id=None, day=date(2026, 11, 25), reversed_at=AT)),
}


def objects(node: Any, path: str = "data") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every sub-schema that describes an object with named properties."""
    if isinstance(node, dict):
        if "properties" in node:
            yield path, node
        for key, value in node.items():
            if key == "properties":
                for name, sub in value.items():
                    yield from objects(sub, f"{path}.{name}")
            elif isinstance(value, (dict, list)):
                yield from objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from objects(value, f"{path}[{i}]")


@pytest.mark.parametrize("event_type", event_types())
def test_every_schema_is_strict(event_type: str) -> None:
    schema = schema_of(event_type)
    found = list(objects(schema))
    assert found and found[0][1] is schema
    for where, obj in found:
        assert obj.get("additionalProperties") is False, f"{event_type} {where}: other properties must be refused"
        assert sorted(obj.get("required", [])) == sorted(obj["properties"]), \
            f"{event_type} {where}: every property is required (nullable when it may be absent)"


def test_the_envelope_is_strict() -> None:
    envelope = schema_of("envelope")
    assert envelope["additionalProperties"] is False and sorted(envelope["required"]) == sorted(envelope["properties"])


def test_every_event_type_has_one_builder() -> None:
    assert sorted(BUILDERS) == event_types()
    for module in (registry_events, lending_events, merchant_events, rating_events):
        made = {f for _, f in inspect.getmembers(module, inspect.isfunction)
                if f.__module__ == module.__name__ and inspect.signature(f).return_annotation in ("Event", Event)}
        assert made == {f for f, _ in BUILDERS.values() if f.__module__ == module.__name__}, module.__name__


@pytest.mark.parametrize("event_type", sorted(BUILDERS))
def test_each_builder_makes_a_valid_event_with_every_field(event_type: str) -> None:
    builder, kwargs = BUILDERS[event_type]
    event = builder(**kwargs)
    # Keyed by the subject it is about; a region's event by the region's code.
    assert (event.type, event.subject) == (event_type, kwargs.get("code", "hh-1"))
    validate_event(event.to_dict())
    assert set(event.data) == set(schema_of(event_type)["properties"])
    parameters = inspect.signature(builder).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters), "builders take keyword arguments"


def test_builders_write_money_to_the_fen_and_refuse_naive_times() -> None:
    builder, kwargs = BUILDERS["loan-recorded"]
    assert builder(**kwargs).data["amount"] == "50000.00"
    assert BUILDERS["loan-repaid"][0](**BUILDERS["loan-repaid"][1]).data["fully_repaid"] is True
    with pytest.raises(ValueError, match="naive"):
        builder(**{**kwargs, "drawn_at": datetime(2026, 11, 25, 8, 30)})


def test_a_field_the_producer_does_not_set_is_refused() -> None:
    """What a hand-written event used to get away with: a missing field, or one nobody sends."""
    builder, kwargs = BUILDERS["loan-repaid"]
    raw = builder(**kwargs).to_dict()
    del raw["data"]["fully_repaid"]
    with pytest.raises(ValueError, match="fully_repaid"):
        validate_event(raw)
    raw = builder(**kwargs).to_dict()
    raw["data"]["status"] = "active"
    with pytest.raises(ValueError, match="Additional properties"):
        validate_event(raw)


def service_modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SERVICES.rglob("*.py")):
        rel = path.relative_to(SERVICES).as_posix()
        if "/migrations/" not in rel:
            yield rel, ast.parse(path.read_text(), filename=rel)


def test_no_emit_site_spells_an_event() -> None:
    offences = []
    for rel, tree in service_modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                    func.value.id in ("asyncio", "threading"):
                continue  # asyncio.Event(), threading.Event(): not ours
            if name == "Event" and rel not in BUILDER_MODULES:
                offences.append(f"{rel}:{node.lineno}: Event(...) outside the builder modules")
            if name in ("emit", "emit_many") and any(k.arg == "data" for k in node.keywords):
                offences.append(f"{rel}:{node.lineno}: emit(..., data=...) instead of a builder")
    assert not offences, "\n".join(offences)
