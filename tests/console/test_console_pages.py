"""The console in a real browser (Debian's chromium, headless, driven by Playwright) against `make run`:
an officer publishes a village (a rating round puts its grades on publication, 公示) and answers an
objection; a household opens the personal link the officer issued, sees its grade and the reasons in
Chinese and files an objection; the platform drills down from the province to the village. Each page
is photographed into docs/screens/ and checked with axe-core (no serious or critical violation). A
console whose statistics service does not answer says so on the page."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import httpx
import pytest
from tools.admin.demo import households_csv

from common.broker import free_port
from tests.console.conftest import DevCaller
from tests.e2e.devrun import ROOT, DevRun
from tests.e2e.flow import households, make_village, poll, register_household

pytestmark = [pytest.mark.broker, pytest.mark.slow]
SCREENS = ROOT / "docs" / "screens"
COUNTY, TOWN = "341181", "341181100"
STATE: dict[str, Any] = {}


def shoot(page: Any, name: str, **options: Any) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True, **options)


def no_serious_violations(page: Any) -> None:
    """axe-core from the package the console serves (/vendor/axe-core): WCAG 2 A and AA rules."""
    page.add_script_tag(url="/vendor/axe-core/axe.min.js")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] });
        return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }));
    }""")
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def log_in(page: Any, run: DevRun, account: str, check: bool = False) -> None:
    """The demo log-in of `make run`: one button per demo account."""
    response = page.goto(run.console + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]  # no script from elsewhere
    button = page.locator(f"button[data-account={account}]")
    button.wait_for()
    if check:
        shoot(page, "log-in")
        no_serious_violations(page)
    button.click()


@pytest.fixture(scope="module")
def village(devrun: DevRun) -> dict[str, Any]:
    """A village of six households with strong files, registered over the registry's API."""
    officer = DevCaller(devrun, "OFFICER_TOKEN")
    code = make_village(officer, 1, 0)  # type: ignore[arg-type]
    hs = households(seed=17, count=6, village=code)
    ids = [register_household(officer, code, h) for h in hs]  # type: ignore[arg-type]
    return {"code": code, "households": hs, "ids": ids}


def test_the_officer_publishes_a_village_and_issues_a_household_link(browser: Any, devrun: DevRun,
                                                                      village: dict[str, Any]) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=devrun.console)
    page = context.new_page()
    log_in(page, devrun, "OFFICER_TOKEN", check=True)
    page.wait_for_url("**/county.html")
    assert "网格员" in page.locator("#who").inner_text()
    page.fill("#village-code", village["code"])
    page.click("#village-open")
    # A round covers the households rating has heard of: start again until it has heard of all six.
    for _ in range(20):
        page.click("#round-start")
        done = page.locator("#round-done")
        done.wait_for(timeout=60_000)
        if f"共 {len(village['ids'])} 户" in done.inner_text():
            break
        page.wait_for_timeout(1000)
    assert f"共 {len(village['ids'])} 户" in page.locator("#round-done").inner_text()
    rows = page.locator("#publication-table tbody tr")
    poll(lambda: rows.count() == len(village["ids"]) or page.click("#village-open"), timeout=30, interval=1)
    deadline = page.locator("#objection-deadline").inner_text()
    assert deadline and deadline != "—"
    expected = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert expected.strftime("%Y/%m/%d") in deadline or expected.strftime("%m/%d") in deadline, deadline
    poll(lambda: "公示中" in page.locator("#roster").inner_text(), timeout=15, interval=0.2)
    shoot(page, "county-console")
    page.emulate_media(media="print")  # the printed page is the publication list alone, with its deadline
    assert page.locator("#publication-table").is_visible() and not page.locator("#roster-section").is_visible()
    shoot(page, "county-publication-print")
    page.emulate_media(media="screen")
    no_serious_violations(page)

    # A civility evaluation (乡风文明评议) recorded for the second household; another person reviews it.
    page.fill("#civility-subject", village["ids"][1])
    page.fill("#civility-date", dt.date.today().isoformat())
    page.fill("#civility-evaluators", "张三、李四")
    page.fill("#civility-items", "P101×1")
    page.click("#civility-form button[type=submit]")
    page.locator("#civility-recorded").wait_for()
    assert "待复核" in page.locator("#civility").inner_text()

    # The personal link for the first household (专属链接): the household opens it with its ID ending.
    star = village["ids"][0]
    page.click(f"button[data-link-for='{star}']")
    link = page.locator("#household-link")
    link.wait_for()
    STATE["link"] = link.get_attribute("href")
    assert STATE["link"].startswith(devrun.console + "/household.html#")
    context.close()


def star_id(village: dict[str, Any]) -> str:
    return str(village["ids"][0])


def test_a_household_sees_its_reasons_and_files_an_objection(browser: Any, devrun: DevRun, village: dict[str, Any]) -> None:
    assert STATE.get("link"), "the officer's test issues the link"
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN",
                                base_url=devrun.console)
    page = phone.new_page()
    page.goto(STATE["link"])
    head_id = village["households"][0].head.id_number
    wrong = "0000" if head_id[-4:] != "0000" else "1111"
    page.fill("#id-ending", wrong)
    page.click("#unlock-button")
    page.locator("#unlock-result.error").wait_for()
    assert "不正确" in page.locator("#unlock-result").inner_text()
    page.fill("#id-ending", head_id[-4:])
    page.click("#unlock-button")
    page.locator("#my-grade").wait_for()
    assert page.locator("#my-grade").inner_text() in ("AAA", "AA", "A", "B", "C", "D")
    reasons = page.locator("#reason-list li")
    reasons.first.wait_for()
    assert all("分" in t or "满分" in t or "否决" in t for t in reasons.all_inner_texts()), reasons.all_inner_texts()
    # What would raise the grade is rating's own advice (would_raise), named in Chinese.
    token = page.evaluate("() => sessionStorage.getItem('cv-token')")
    grade = httpx.get(f"{devrun.console}/api/rating/v1/subjects/{star_id(village)}/grade",
                      headers={"Authorization": f"Bearer {token}"}).json()
    shown = grade["pending"] or grade["final"]
    raise_text = page.locator("#raise").inner_text()
    for advice in shown["would_raise"]:
        assert advice["label"]["zh"] in raise_text and advice["next_grade"] in raise_text, raise_text
    for lost in shown["indicator_reasons"]:
        assert lost["label"]["zh"] in " ".join(reasons.all_inner_texts())
    assert "公示中" in page.locator("#grade").inner_text()
    page.locator("#consent-state").wait_for()
    assert "已授权" in page.locator("#consent-state").inner_text()
    no_serious_violations(page)
    # Every part of the page answered (the three disclosure logs, points, consent): no error box.
    page.locator("#disclosures-merchants table").wait_for()
    failed = page.locator("#grade .error, #reasons .error, #disclosures .error, #points .error, #consent .error")
    assert failed.count() == 0, failed.all_inner_texts()
    page.fill("#objection-reason", "家庭年收入填报有误，实际高于档案记载。")
    page.click("#objection-submit")
    page.locator("#objection-filed").wait_for()
    shoot(page, "household-page")

    # The household's token reaches its own things only: not a neighbour's grade, not the village list.
    token = page.evaluate("() => sessionStorage.getItem('cv-token')")
    other = httpx.get(f"{devrun.console}/api/rating/v1/subjects/{village['ids'][1]}/grade",
                      headers={"Authorization": f"Bearer {token}"})
    assert other.status_code == 404, other.text
    listing = httpx.get(f"{devrun.console}/api/rating/v1/publications", params={"region": village["code"]},
                        headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 403, listing.text
    phone.close()


def test_the_officer_answers_the_objection(browser: Any, devrun: DevRun, village: dict[str, Any]) -> None:
    officer = DevCaller(devrun, "OFFICER_TOKEN")
    open_ones = officer.ok("rating", "GET", f"/v1/objections?region={village['code']}")["items"]
    assert len(open_ones) == 1 and open_ones[0]["subject_id"] == village["ids"][0], open_ones
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=devrun.console)
    page = context.new_page()
    log_in(page, devrun, "OFFICER_TOKEN")
    page.wait_for_url("**/county.html")
    page.goto(f"{devrun.console}/county.html?village={village['code']}")
    form = page.locator(f"form[data-objection='{open_ones[0]['id']}']")
    form.wait_for()
    assert "家庭年收入填报有误" in page.locator("#objections").inner_text()
    form.locator("select").select_option("rejected")
    form.locator("textarea").fill("经核实，档案收入与村委会调查一致，维持评定等级。")
    shoot(page, "county-objections")
    form.locator("button[type=submit]").click()
    page.locator("#objections .ok").wait_for()
    assert officer.ok("rating", "GET", f"/v1/objections?region={village['code']}")["items"] == []
    context.close()


def test_the_platform_drills_down_to_the_village(browser: Any, devrun: DevRun, village: dict[str, Any]) -> None:
    platform = DevCaller(devrun, "PLATFORM_TOKEN")
    admin = DevCaller(devrun, "ADMIN_TOKEN")
    # The officer's civility evaluation, reviewed by a second person and published: one household
    # evaluated in the village, a count under 5 the platform must see suppressed.
    recorded = admin.ok("registry", "GET", f"/v1/civility/evaluations?subject_id={village['ids'][1]}")
    assert len(recorded) == 1 and recorded[0]["status"] == "recorded", recorded
    admin.ok("registry", "POST", f"/v1/civility/evaluations/{recorded[0]['id']}/review", json={"approved": True})
    admin.ok("registry", "POST", f"/v1/civility/evaluations/{recorded[0]['id']}/publish")
    # The read model hears of the files from events: wait until the village is in the figures.
    poll(lambda: "evaluated" in platform.ok("stats", "GET", f"/v1/stats/summary?region={village['code']}")["suppressed"]
         and (platform.ok("stats", "GET", f"/v1/stats/summary?region={village['code']}")["figures"].get("subjects") or 0) >= 5,
         timeout=60, interval=0.5)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=devrun.console)
    page = context.new_page()
    console_messages: list[str] = []
    page.on("console", lambda message: console_messages.append(message.text))
    log_in(page, devrun, "PLATFORM_TOKEN")
    page.wait_for_url("**/province.html")
    for code in (COUNTY, TOWN, village["code"]):
        button = page.locator(f"#regions-table button[data-region='{code}']")
        button.wait_for()
        if code == COUNTY:
            page.wait_for_function("() => document.querySelector('#regions-chart canvas') !== null")
            shoot(page, "province-dashboard")
        button.click()
        poll(lambda code=code: code in page.locator("#scope-name").inner_text(), timeout=10, interval=0.2)
    page.locator("#village-grade").wait_for()  # the village's own figures, its standing last
    # Small areas: a count under 5 (the one evaluated household) is said to be suppressed, never shown.
    assert "已抑制" in page.locator("[data-figure=evaluated]").inner_text()
    assert "行政村" in page.locator("#scope-name").inner_text()
    # Regions by name (the registry's region-changed events reach stats): 天长市 › 天长街道 › 测试N村.
    assert "测试" in page.locator("#scope-name").inner_text(), page.locator("#scope-name").inner_text()
    assert "天长市" in page.locator("#crumbs").inner_text() and "天长街道" in page.locator("#crumbs").inner_text()
    page.locator("#trend-chart canvas").wait_for()
    shoot(page, "province-village")
    no_serious_violations(page)
    # echarts and axe-core run under the console's script policy: nothing was blocked
    assert not [m for m in console_messages if "Content Security Policy" in m], console_messages
    context.close()


def test_a_page_names_the_service_that_is_down(browser: Any, devrun: DevRun, village: dict[str, Any]) -> None:
    """A second console whose statistics and registry services do not answer: the dashboard and the
    county console say which one, and what the other services answer still shows."""
    port = free_port()
    env = dict(devrun.env, CONSOLE_PORT=str(port), CONSOLE_STATS_URL=f"http://127.0.0.1:{free_port()}",
               CONSOLE_REGISTRY_URL=f"http://127.0.0.1:{free_port()}", CONSOLE_ENV="dev")
    proc = subprocess.Popen([sys.executable, "-m", "console", "serve"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        poll(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), timeout=30, interval=0.2)
        context = browser.new_context(locale="zh-CN", base_url=f"http://127.0.0.1:{port}")
        page = context.new_page()
        page.goto("/")
        page.locator("button[data-account=PLATFORM_TOKEN]").click()
        page.wait_for_url("**/province.html")
        alert = page.locator("#service-alerts")
        alert.wait_for()
        assert "统计服务（stats）" in alert.inner_text()
        page.locator("#regions .error").wait_for()
        assert "暂不可用" in page.locator("#regions").inner_text()
        shoot(page, "province-stats-down")

        page.goto("/")
        page.locator("button[data-account=OFFICER_TOKEN]").click()
        page.wait_for_url("**/county.html")
        page.goto(f"/county.html?village={village['code']}")
        page.locator("#roster .error").wait_for()
        assert "档案服务（registry）" in page.locator("#service-alerts").inner_text()
        page.locator("#publication-table tbody tr").first.wait_for()  # rating still answers: the publication shows
        assert page.locator("#publication-table tbody tr").count() == len(village["ids"])
        context.close()
        status = httpx.get(f"http://127.0.0.1:{port}/console/api/status").json()
        ready = {s["service"]: s["ready"] for s in status["services"]}
        assert ready == {"registry": False, "rating": True, "lending": True, "merchant": True, "stats": False}, ready
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False




def test_the_officer_imports_a_file_and_sees_the_refused_rows(browser: Any, devrun: DevRun) -> None:
    """Import with progress and per-row errors: two good households and one with a broken ID number."""
    officer = DevCaller(devrun, "OFFICER_TOKEN")
    other = make_village(officer, 2, 1)  # type: ignore[arg-type]
    hs = households(seed=23, count=3, village=other)
    broken = households_csv(hs).decode().replace(hs[2].head.id_number, hs[2].head.id_number[:-1] + "0"
                                                 if not hs[2].head.id_number.endswith("0") else hs[2].head.id_number[:-1] + "1")
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=devrun.console)
    page = context.new_page()
    log_in(page, devrun, "OFFICER_TOKEN")
    page.wait_for_url("**/county.html")
    page.goto(f"{devrun.console}/county.html?village={other}")
    page.set_input_files("#import-file", files=[{"name": "农户.csv", "mimeType": "text/csv", "buffer": broken.encode()}])
    page.click("#import-form button[type=submit]")
    errors = page.locator("#import-status table")
    errors.wait_for(timeout=60_000)
    status = page.locator("#import-status").inner_text()
    assert "新增 2" in status and "出错 1 行" in status, status
    assert "head_id_number" in errors.inner_text() or "身份证" in errors.inner_text(), errors.inner_text()
    shoot(page, "county-import")
    context.close()
