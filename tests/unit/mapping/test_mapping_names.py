"""Names QBO accepts (QBO-REFERENCE.md 7.1-7.5) and names as they are matched."""

from __future__ import annotations

import unicodedata
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mapkit import Books

from ledgerbridge.mapping import (
    NameKind,
    clip,
    normalize_name,
    qbo_name,
    strip_deleted_suffix,
)
from ledgerbridge.mapping._names import NAME_LIMITS

FORBIDDEN = (":", "\t", "\n", "\r")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Acme:West", "Acme-West"),
        ("Acme: West", "Acme - West"),
        ("Shop : Main", "Shop - Main"),
        ("10:30 Service", "10-30 Service"),
        ("Line\tone\nline two\r\nthree", "Line one line two three"),
        ("  lots   of    space  ", "lots of space"),
        ("sep\u2028line\u2029para\x00nul\x1bend", "sep line para nul end"),
    ],
)
def test_forbidden_characters_and_white_space(name: str, expected: str) -> None:
    """Colons become hyphens, tabs and newlines spaces, white space collapses and trims."""
    assert qbo_name(name, kind="display_name") == expected


@pytest.mark.parametrize(
    "name",
    [
        'O\'Brien "The Welder"',
        "Back\\slash & Co.",
        "Müller Zerspanung GmbH",
        "東京精機",
        "Café ☕ 🛠",
    ],
)
def test_quotes_backslashes_and_unicode_are_kept(name: str) -> None:
    """QBO accepts them; the query builder escapes them in look-ups."""
    assert qbo_name(name, kind="display_name") == name


def test_account_names_lose_double_quotes() -> None:
    """Account names may not hold a double quote (7.5); it becomes a single one."""
    assert qbo_name('Tools "small"', kind="account") == "Tools 'small'"
    assert qbo_name('Tools "small"', kind="item") == 'Tools "small"'


@pytest.mark.parametrize(("kind", "limit"), sorted(NAME_LIMITS.items()))
def test_over_long_names_are_cut_to_the_kind_limit(kind: NameKind, limit: int) -> None:
    """DisplayName 500, item/account/company/person 100, payment method and term 31."""
    assert len(qbo_name("x" * (limit + 50), kind=kind)) == limit


def test_cut_never_leaves_trailing_space() -> None:
    """A cut that ends on a space drops it."""
    assert qbo_name("a" * 99 + " bcd", kind="item") == "a" * 99


def test_composed_characters_count_once() -> None:
    """NFC: an e plus a combining accent is one character, as QBO counts it."""
    assert qbo_name("Cafe\u0301", kind="item") == "Caf\u00e9"


def test_a_name_of_nothing_is_refused() -> None:
    """Spaces and control characters only leave nothing to send."""
    with pytest.raises(ValueError, match="empty once cleaned"):
        qbo_name(" \t\n ", kind="display_name")


def test_every_kind_has_a_limit() -> None:
    """NameKind and NAME_LIMITS agree."""
    assert set(get_args(NameKind)) == set(NAME_LIMITS)


@given(st.text(min_size=1, max_size=700), st.sampled_from(sorted(NAME_LIMITS)))
def test_qbo_name_always_gives_an_acceptable_name(name: str, kind: NameKind) -> None:
    """Whatever the input: no forbidden character, within the limit, trimmed, idempotent."""
    try:
        cleaned = qbo_name(name, kind=kind)
    except ValueError:
        # Only a name made of nothing but white space and control characters is refused.
        assert all(
            c.isspace() or unicodedata.category(c) in ("Cc", "Zl", "Zp")
            for c in unicodedata.normalize("NFC", name)
        )
        return
    assert not any(c in cleaned for c in FORBIDDEN)
    assert 0 < len(cleaned) <= NAME_LIMITS[kind]
    assert cleaned == cleaned.strip()
    assert qbo_name(cleaned, kind=kind) == cleaned


def test_cleaned_names_are_accepted_by_qbo(books: Books) -> None:
    """The emulator stores awkward names exactly as qbo_name made them."""
    names = ['A: "quoted" \\ name', "Tab\there", "N" * 600, "Ünïcödé\nnames", "x : y : z"]
    for index, raw in enumerate(names):
        name = qbo_name(raw, kind="display_name")
        stored = books.create("Customer", {"DisplayName": name})
        assert stored["DisplayName"] == name, index
        item = books.create(
            "Item",
            {
                "Name": qbo_name(f"{index} {raw}", kind="item"),
                "Type": "Service",
                "IncomeAccountRef": books.refs.account("Services", field="f").payload(),
            },
        )
        assert len(item["Name"]) <= 100


def test_normalize_name_is_for_matching() -> None:
    """Case and white space do not matter when matching."""
    assert normalize_name("  ACME   Fabrication ") == normalize_name("acme fabrication")
    assert normalize_name("Straße") == normalize_name("STRASSE")


def test_strip_deleted_suffix() -> None:
    """Inactive QBO records carry " (deleted)" or " (deleted-2)"; matching drops it."""
    assert strip_deleted_suffix("Acme (deleted)") == "Acme"
    assert strip_deleted_suffix("Acme (deleted-2)") == "Acme"
    assert strip_deleted_suffix("Acme (not deleted) Ltd") == "Acme (not deleted) Ltd"


def test_clip_marks_the_cut() -> None:
    """Free text longer than the limit ends in an ellipsis and fits the limit."""
    assert clip("short", limit=10) == "short"
    cut = clip("word " * 500, limit=2000)
    assert len(cut) <= 2000
    assert cut.endswith("…")
