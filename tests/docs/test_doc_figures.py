"""Arithmetic written in the docs is recomputed: every "a x b [x c] = $N" outside a table, and the compute
doc's duration example. A changed price or size that is not carried through fails here."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
NUMBER = r"\$?\d[\d,]*(?:\.\d+)?"
PRODUCT = re.compile(rf"((?:{NUMBER} (?:GB )?[x×] )+{NUMBER}) = \**\$?(\d[\d,]*(?:\.\d+)?)")


def value(text: str) -> float:
    return float(text.replace(",", "").replace("$", ""))


def products() -> list[tuple[str, str, str]]:
    found = []
    for path in DOCS:
        for line in path.read_text().splitlines():
            if line.lstrip().startswith("|"):
                continue  # table cells abbreviate (e.g. "7 × 1 = $51.10" means x $7.30 per endpoint)
            found += [(path.name, m.group(1), m.group(2)) for m in PRODUCT.finditer(line)]
    return found


@pytest.mark.parametrize(("doc", "factors", "claimed"), products(), ids=lambda v: str(v)[:40])
def test_products_in_the_docs_are_right(doc: str, factors: str, claimed: str) -> None:
    result = math.prod(value(n) for n in re.findall(NUMBER, factors))
    decimals = len(claimed.split(".")[1]) if "." in claimed else 0
    step = 10 ** -decimals
    assert abs(result - value(claimed)) < step * 1.01 or math.floor(result) == value(claimed), \
        f"{doc}: {factors} = {result:.4f}, the doc says {claimed}"


def test_there_are_products_to_check() -> None:
    assert len(products()) >= 4  # compute, security and decisions hold some today


def test_compute_duration_example() -> None:
    text = (ROOT / "docs" / "compute.md").read_text().replace("\n", " ")
    price = value(re.search(r"and \$(0\.\d+) per GB-s on arm64", text).group(1))  # type: ignore[union-attr]
    m = re.search(r"a (\d+) MB, (\d+) ms request is about \$(0\.\d+), so 10 M requests\s+add about \$([\d.]+) in duration",
                  text)
    assert m, "the duration example moved: update this test"
    per_request = int(m.group(1)) / 1024 * int(m.group(2)) / 1000 * price
    assert f"{per_request:.2g}" == f"{value(m.group(3)):.2g}"
    assert round(per_request * 10_000_000, 2) == value(m.group(4))
