"""jwt.nuid: the ``jti`` of every token, drawn from one read of the OS random source."""

from __future__ import annotations

import collections

from lattice.claims import jwt


def test_nuid_is_22_characters_of_the_alphabet() -> None:
    for _ in range(200):
        value = jwt.nuid()
        assert len(value) == jwt.NUID_LENGTH == 22
        assert set(value) <= set(jwt.NUID_ALPHABET)


def test_nuids_are_distinct_and_cover_the_whole_alphabet() -> None:
    values = [jwt.nuid() for _ in range(2000)]
    assert len(set(values)) == len(values)
    counts = collections.Counter("".join(values))
    assert set(counts) == set(jwt.NUID_ALPHABET)
    # 44,000 characters over 62 symbols: ~710 each; a modulo bias or a dropped range would push some far off
    assert min(counts.values()) > 550
    assert max(counts.values()) < 870
