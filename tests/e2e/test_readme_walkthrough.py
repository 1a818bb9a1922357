"""A newcomer's first minutes: `make run` (scripts/devrun.py) brings everything up with the demo
county, then the README's curl examples work as written."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.devrun import ROOT, started

PORTS = {"registry": 8001, "rating": 8002, "lending": 8003, "merchant": 8004, "stats": 8005}


def examples(document: str, marker: str) -> str:
    """The bash blocks between ``<!-- marker:start -->`` and ``<!-- marker:end -->`` of ``document``."""
    text = (ROOT / document).read_text()
    section = text.split(f"<!-- {marker}:start -->", 1)[1].split(f"<!-- {marker}:end -->", 1)[0]
    return "\n".join(re.findall(r"```bash\n(.*?)```", section, flags=re.S))


def walkthrough() -> str:
    return examples("README.md", "walkthrough")


@pytest.mark.slow
def test_make_run_then_the_readme_examples_work(tmp_path: Path) -> None:
    assert shutil.which("jq"), "the README's examples use jq"
    with started(tmp_path) as devrun:
        var, ports = devrun.var, devrun.ports
        assert (var / "demo.env").exists(), devrun.log.read_text()[-3000:]

        def run(script: str) -> str:
            for name, port in PORTS.items():
                script = script.replace(f"localhost:{port}", f"localhost:{ports[name]}")
            script = script.replace("var/", f"{var}/").replace("curl -sf ", "curl -sS --fail-with-body ")
            result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,
                                    timeout=120, cwd=ROOT)
            assert result.returncode == 0, f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
            return result.stdout

        out = run(walkthrough())
        assert '"grade"' in out and "credit_subjects" in out
        # The platform sees region names beside codes; the officer sees structured reasons.
        assert '"region_name": "天长市"' in out and "\t天长市\t" in out, out[-3000:]
        assert '"indicator_reasons"' in out and '"would_raise"' in out
        # docs/integrating.md: each caller's examples (auth, errors, idempotency, paging, the change
        # feed and webhooks, POS, the platform), every `jq -e` an assertion.
        run(examples("docs/integrating.md", "integrating"))
    assert "stopped." in devrun.log.read_text()
