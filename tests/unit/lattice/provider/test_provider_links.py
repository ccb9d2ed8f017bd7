"""Link values (case-insensitive, typed getters) and the link table's duplicate detection."""

from __future__ import annotations

import pytest

from lattice.provider import LinkValues, ProviderConfigError
from lattice.provider.links import LinkTable
from lattice.wire import LinkDefinition


def test_keys_are_case_insensitive() -> None:
    values = LinkValues({"PORT": "8080", "Bucket": "b"})
    assert values["port"] == "8080"
    assert values.get("BUCKET") == "b"
    assert "Port" in values
    assert "missing" not in values
    assert sorted(values) == ["bucket", "port"]


def test_get_int_checks_type_and_range() -> None:
    values = LinkValues({"n": " 42 ", "bad": "x", "big": "99"})
    assert values.get_int("n", 1, low=0, high=100) == 42
    assert values.get_int("absent", 7, low=0, high=100) == 7
    with pytest.raises(ProviderConfigError, match="'x' is not an integer"):
        values.get_int("bad", 1, low=0, high=100)
    with pytest.raises(ProviderConfigError, match="out of range"):
        values.get_int("big", 1, low=0, high=10)


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("YES", True), ("1", True), ("off", False), ("", False)])
def test_get_bool(raw: str, expected: bool) -> None:
    assert LinkValues({"flag": raw}).get_bool("FLAG", not expected) is expected


def test_get_bool_refuses_other_words() -> None:
    with pytest.raises(ProviderConfigError, match="is not a boolean"):
        LinkValues({"flag": "maybe"}).get_bool("flag", False)


def test_link_table_tells_duplicates_from_changes() -> None:
    table = LinkTable()
    link = LinkDefinition("Mactor", "Vprov", "c:d", "default", {"a": "1"})
    assert not table.is_duplicate(link)
    table.put(link)
    assert table.is_duplicate(LinkDefinition("Mactor", "Vprov", "c:d", "default", {"a": "1"}))
    assert not table.is_duplicate(LinkDefinition("Mactor", "Vprov", "c:d", "default", {"a": "2"}))
    assert table.remove("Mactor") == link
    assert table.remove("Mactor") is None
    assert len(table) == 0
