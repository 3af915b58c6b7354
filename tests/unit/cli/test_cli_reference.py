"""docs/reference/cli.md documents exactly the commands the CLI has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from shopify_odoo.cli.app import app

DOC = Path(__file__).parents[3] / "docs" / "reference" / "cli.md"


def _commands() -> set[str]:
    root: Any = typer.main.get_command(app)
    names: set[str] = set()
    for name, command in root.commands.items():
        if hasattr(command, "commands"):  # a group: its subcommands are the commands
            names |= {f"{name} {sub}" for sub in command.commands}
        else:
            names.add(name)
    return names


def _documented() -> set[str]:
    names: set[str] = set()
    for heading in re.findall(r"^### (.+)$", DOC.read_text(encoding="utf-8"), re.M):
        for command in re.findall(r"`shopify-odoo ([a-z -]+)`|`([a-z]+ [a-z]+)`", heading):
            names.add((command[0] or command[1]).strip())
    return names


def test_every_command_is_documented_and_every_documented_command_exists() -> None:
    commands, documented = _commands(), _documented()
    assert commands - documented == set(), "commands missing from docs/reference/cli.md"
    assert documented - commands == set(), "docs/reference/cli.md names commands that do not exist"
