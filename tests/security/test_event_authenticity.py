"""Events are authentic: a consumer applies only records proved by the service entitled to the
event type (common.events.signing). A grade without proof, a grade proved with another producer's
keys (lending's, which may announce lines but not grades), and a proof made over other bytes are all
dead-lettered; the grade rating's relay would send applies."""
from __future__ import annotations

from kafka import KafkaProducer

from common.auth import Role
from common.broker import TansuBroker
from common.events.signing import PRODUCERS, load_signer
from tests.harness import DatabaseFactory, Keys, eventually, send_event, start_service
from tests.lending.conftest import rating_changed
from tests.lending.test_batches import dead_letters, history


def test_every_event_type_has_one_entitled_producer_its_builder_names() -> None:
    from tests.foundation.test_event_contracts import BUILDERS

    assert set(PRODUCERS) == set(BUILDERS)
    for event_type, (build, kwargs) in BUILDERS.items():
        assert build(**kwargs).source == PRODUCERS[event_type], event_type


async def test_only_the_entitled_producers_signed_events_apply(databases: DatabaseFactory, keys: Keys,
                                                              fresh_broker: TansuBroker, backend: str) -> None:
    unsigned = rating_changed("hh-unsigned", "AAA", 1)
    by_lending = rating_changed("hh-by-lending", "AAA", 1)
    tampered = rating_changed("hh-tampered", "AAA", 1)
    genuine = rating_changed("hh-genuine", "AA", 1)
    producer = KafkaProducer(bootstrap_servers=fresh_broker.bootstrap, acks="all")
    producer.send("rating-changed", key=b"hh-unsigned", value=unsigned.to_json())
    value = by_lending.to_json()
    producer.send("rating-changed", key=b"hh-by-lending", value=value,
                  headers=load_signer(keys.events_dir, "lending").headers("rating-changed", value))
    signed_for = rating_changed("hh-tampered", "D", 1).to_json()  # rating signed a D; the record says AAA
    producer.send("rating-changed", key=b"hh-tampered", value=tampered.to_json(),
                  headers=keys.event_headers("rating-changed", signed_for))
    send_event(producer, "rating-changed", key=b"hh-genuine", value=genuine.to_json())
    producer.flush(10)
    producer.close()

    url = await databases.create("lending", backend)
    async with start_service("lending", url, keys, bootstrap=fresh_broker.bootstrap) as lending:
        async def genuine_applied() -> bool:
            return await history(lending, keys, "hh-genuine") == ["granted:AA"]

        await eventually(genuine_applied, timeout=60)
        assert await dead_letters(fresh_broker, 3) == [(b"hh-by-lending", b"lending", b"rating-changed"),
                                                       (b"hh-tampered", b"lending", b"rating-changed"),
                                                       (b"hh-unsigned", b"lending", b"rating-changed")]
        for forged in ("hh-unsigned", "hh-by-lending", "hh-tampered"):
            r = await lending.client.get(f"/v1/credit-lines/{forged}", headers=keys.headers(Role.admin))
            assert r.status_code == 404, (forged, r.text)
