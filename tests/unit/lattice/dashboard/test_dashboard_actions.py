"""The dashboard's action values are checked before anything is sent, with messages naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from lattice.dashboard import actions
from lattice.dashboard.errors import ActionInvalid


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "name is required"),
        ({"name": "  "}, "name is required"),
        ({"name": 5}, "name must be text"),
        ({"name": "x" * 5000}, "longer than"),
    ],
)
def test_text_fields(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ActionInvalid, match=message):
        actions.text(body, "name")


def test_text_defaults_and_trims() -> None:
    assert actions.text({"link_name": None}, "link_name", default="default") == "default"
    assert actions.text({"host": " h "}, "host") == "h"
    assert actions.text({}, "host", required=False) == ""


@pytest.mark.parametrize(
    ("value", "minimum", "expected"), [(3, 0, 3), ("4", 1, 4), (" 0 ", 0, 0)]
)  # fmt: skip
def test_counts(value: object, minimum: int, expected: int) -> None:
    assert actions.count({"count": value}, "count", minimum) == expected


@pytest.mark.parametrize(
    ("value", "minimum", "message"),
    [(-1, 0, "0 or more"), ("-2", 0, "0 or more"), (0, 1, "at least 1"), ("x", 0, "whole number"),
     (True, 0, "whole number"), (1.5, 0, "whole number"), (None, 0, "whole number")],
)  # fmt: skip
def test_bad_counts(value: object, minimum: int, message: str) -> None:
    with pytest.raises(ActionInvalid, match=f"count must be.*{message}|{message}"):
        actions.count({"count": value}, "count", minimum)


def test_link_values_must_be_text() -> None:
    assert actions.string_map({"values": {" port ": "8080"}}, "values") == {"port": "8080"}
    assert actions.string_map({}, "values") == {}
    for bad in ([1], {"port": 8080}, {" ": "x"}):
        with pytest.raises(ActionInvalid, match="values"):
            actions.string_map({"values": bad}, "values")


def test_every_page_action_is_known() -> None:
    assert set(actions.ACTIONS) == {
        "start_actor", "scale_actor", "stop_actor", "start_provider", "stop_provider", "put_link", "delete_link",
        "deploy_app", "undeploy_app",
    }  # fmt: skip
