"""Snapshot of every person-facing message of the order and fulfillment planners.

Each message is produced through the real planner path (``scenarios``) and compared with
``snapshots/messages.txt``; a change of wording must be a deliberate change of that file
(``SNAPSHOT_UPDATE=1 uv run pytest tests/unit/sync_orders/test_messages.py`` rewrites it, then
review the diff).  Every message names the object, where it lives, the cause and the next step
(STYLE.md §6).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.sync_orders.scenarios import SCENARIOS

SNAPSHOTS = Path(__file__).parent / "snapshots" / "messages.txt"


def _load() -> dict[str, str]:
    out: dict[str, str] = {}
    name = None
    for line in SNAPSHOTS.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            name = line[3:]
            out[name] = ""
        elif name is not None and line:
            out[name] = f"{out[name]}\n{line}" if out[name] else line
    return out


if os.environ.get("SNAPSHOT_UPDATE") == "1":
    SNAPSHOTS.write_text(
        "".join(f"## {name}\n{fn()}\n\n" for name, fn in sorted(SCENARIOS.items())),
        encoding="utf-8",
    )

EXPECTED = _load()


def test_every_scenario_has_a_snapshot() -> None:
    assert set(SCENARIOS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_message_snapshot(name: str) -> None:
    assert SCENARIOS[name]() == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_message_names_order_and_next_step(name: str) -> None:
    message = EXPECTED[name]
    assert "#1001" in message
    assert "store eu" in message
    assert ": " in message  # "<object and cause>: <next step>"
