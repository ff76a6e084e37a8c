"""The set-up commands a newcomer copies: exactly two in the README, and pip upgraded before
it installs the project (the pip a fresh ``python3 -m venv`` ships lacks ``--group``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_BASH = re.compile(r"^```bash\n(.*?)^```", re.M | re.S)
_UPGRADE = re.compile(r"pip install (-q )?(-U|--upgrade) pip")
_INSTALL = re.compile(r"pip install (-q )?-e ")


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end >= 0 else None]


def test_the_readme_shows_exactly_two_set_up_commands() -> None:
    section = _section((ROOT / "README.md").read_text(), "## The two commands")
    blocks = [block.strip() for block in _BASH.findall(section)]
    assert len(blocks) == 2, blocks
    demo, suite = blocks
    assert "\n" not in demo  # one command to copy
    assert demo.startswith("python3 -m venv .venv && ")
    assert demo.endswith(" && .venv/bin/asyncconsole demo")
    assert suite == "bash scripts/test-all.sh"


@pytest.mark.parametrize("page", ["README.md", "docs/getting-started.md", "scripts/test-all.sh"])
def test_pip_is_upgraded_before_the_project_is_installed(page: str) -> None:
    text = (ROOT / page).read_text()
    blocks = [text] if page.endswith(".sh") else _BASH.findall(text)
    installs = 0
    for block in blocks:
        for found in _INSTALL.finditer(block):
            installs += 1
            upgrade = _UPGRADE.search(block)
            assert upgrade is not None, f"{page}: no pip upgrade before: {block.strip()}"
            assert upgrade.start() < found.start(), f"{page}: pip upgraded after installing"
    assert installs, f"{page} shows no install"
