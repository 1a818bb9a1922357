from common.db import Database
from common.events.consumer import EventConsumer
from stats.readmodel.handlers import HANDLERS
from tests.harness import NO_BROKER, start_service
from tests.stats import factory


async def test_scratch(databases, keys):
    url = await databases.create("stats", "sqlite")
    db = Database(url)
    c = EventConsumer(db, NO_BROKER, "stats", HANDLERS)
    async with db.transaction() as s:
        await c._apply(s, factory.county_story())
    await db.dispose()
    async with start_service("stats", url, keys) as svc:
        r = await svc.client.get("/v1/stats/summary", headers=keys.headers("platform"))
        print(r.status_code, r.json())
        r = await svc.client.get("/v1/stats/regions?level=village&region=341181", headers=keys.headers("platform"), params={"suppress": "true"})
        print(r.status_code, r.json())
        r = await svc.client.get("/v1/stats/timeseries?metric=drawn&from=2026-09&to=2026-11", headers={**keys.headers("platform"), "accept": "text/csv"})
        print(r.status_code, r.text)
        r = await svc.client.get("/v1/stats/summary?as_of=2026-10", headers={**keys.headers("platform"), "accept": "text/csv"})
        print(r.status_code, r.text)
