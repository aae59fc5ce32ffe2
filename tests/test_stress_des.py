"""docs/stress-des.md answers every STRESS-DES item (Monks et al. 2019), and every link it
gives into the repository leads somewhere: the file exists, and a #section names a heading
of that page (GitHub's anchors)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "stress-des.md"

# the 24 items of the STRESS-DES 1.0 checklist
ITEMS = [
    "1.1", "1.2", "1.3",
    "2.1", "2.2", "2.3", "2.4", "2.5.1", "2.5.2", "2.5.3", "2.5.4", "2.5.5",
    "3.1", "3.2", "3.3", "3.4",
    "4.1", "4.2", "4.3",
    "5.1", "5.2", "5.3", "5.4",
    "6.1",
]  # fmt: skip


def _anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.S)
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


def test_every_item_has_its_own_section_with_an_answer():
    text = PAGE.read_text("utf-8")
    found = re.findall(r"^### (\d(?:\.\d)+) ", text, re.M)
    assert found == ITEMS
    sections = re.split(r"^### \d(?:\.\d)+ .*$", text, flags=re.M)[1:]
    for item, body in zip(ITEMS, sections, strict=True):
        words = re.sub(r"^#.*$", "", body, flags=re.M).split()
        assert len(words) >= 30, f"item {item} has almost no answer"


def test_every_link_into_the_repository_resolves():
    text = PAGE.read_text("utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert len(links) >= 40
    for link in links:
        if re.match(r"[a-z]+:", link):
            continue
        path, _, anchor = link.partition("#")
        target = (PAGE.parent / path).resolve() if path else PAGE
        assert target.exists(), f"{link}: no {target.relative_to(ROOT)}"
        assert target.is_relative_to(ROOT), link
        if anchor:
            assert target.suffix == ".md", link
            assert anchor in _anchors(target), f"{link}: no such heading in {target.name}"
