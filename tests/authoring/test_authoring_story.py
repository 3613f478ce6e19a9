"""The ops person who has never seen the file format, from an empty folder to a resolved incident."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup


def test_ops_story_end_to_end(
    tmp_path: Path, run_cli: Callable[..., Any], build: Callable[..., Path], soup: Callable[[Path], BeautifulSoup]
) -> None:
    site = tmp_path / "status"

    def run(*args: str, now: str) -> str:
        result = run_cli([*args, "--now", now])
        assert result.exit_code == 0, result.stderr
        assert result.stderr == ""
        return str(result.stdout)

    run("init", str(site), "--timezone", "Europe/Berlin", now="2026-11-26 08:00 UTC")
    source = ["--source", str(site)]
    out = run(
        "new", "incident", "Checkout is failing", "--impact", "major", "-m", "We are looking into failed payments.",
        *source, now="2026-11-26 12:02 UTC",
    )  # fmt: skip
    assert "reference: 2026-11-26-checkout-is-failing" in out
    run("update", "checkout", "Some customers cannot pay.", *source, now="2026-11-26 12:10 UTC")
    run(
        "update", "checkout", "A payment provider certificate expired; we are renewing it.",
        "--status", "identified", "--cause", "An expired certificate on our payment gateway.",
        "--estimate", "13:30", "--next-update", "30m", *source, now="2026-11-26 12:20 UTC",
    )  # fmt: skip
    out = run(
        "update", "checkout", "The renewal takes longer than planned.", "--estimate", "14:00",
        "--next-update", "13:15", *source, now="2026-11-26 12:50 UTC",
    )  # fmt: skip
    assert "moved from 2026-11-26 12:30 UTC / 13:30 CET" in out
    run("update", "checkout", "Payments work again; we are watching.", "--status", "monitoring", *source,
        now="2026-11-26 12:55 UTC")  # fmt: skip
    out = run(
        "resolve", "checkout", "Payments have worked normally for 30 minutes.",
        "--prevention", "Alert 30 days before any certificate expires.", *source, now="2026-11-26 13:25 UTC",
    )  # fmt: skip
    assert "is resolved after 83 minutes" in out
    text = (site / "content" / "incidents" / "2026-11-26-checkout-is-failing.md").read_text("utf-8")
    assert "# cause:" not in text and "# estimate:" not in text and "# prevention:" not in text
    assert "previous_estimates:\n  - 2026-11-26 12:30 UTC\n" in text

    output = build(site, None, "2026-11-26 14:00 UTC")
    page = soup(output / "incidents" / "2026-11-26-checkout-is-failing" / "index.html")
    updates = page.select('[id^="update-"]')
    assert sorted(str(u["id"]) for u in updates) == [  # in whichever order the theme shows them
        "update-20261126T120200Z",
        "update-20261126T121000Z",
        "update-20261126T122000Z",
        "update-20261126T125000Z",
        "update-20261126T125500Z",
        "update-20261126T132500Z",
    ]
    words = " ".join(page.get_text(" ").split())
    # resolved: the estimates are history, the restoration is measured against the first one
    assert "Estimates we gave First estimate: 13:30 CET Moved to 14:00 CET" in words
    assert "restored 55 minutes after the first estimate of 13:30 CET" in words
    assert "An expired certificate on our payment gateway." in words
    assert "Alert 30 days before any certificate expires." in words
    assert "Payments have worked normally for 30 minutes." in words
