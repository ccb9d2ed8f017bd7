"""Messaging provider parts: settings parsing and publish-subject checks."""

from __future__ import annotations

import pytest
from wasmlattice_messaging.provider import check_subject
from wasmlattice_messaging.settings import MessagingSettings, Subscription

from lattice.provider import LinkValues, OperationFailed, ProviderConfigError


def test_subscriptions_and_uris() -> None:
    s = MessagingSettings.parse(LinkValues({"SUBSCRIPTION": "a.b, c.*|workers,", "URI": "h1:4222,tls://h2:4443"}))
    assert s.subscriptions == (Subscription("a.b"), Subscription("c.*", "workers"))
    assert s.uris == ("nats://h1:4222", "tls://h2:4443")


def test_config_json_with_top_level_overrides() -> None:
    config = '{"subscriptions": ["x"], "cluster_uris": ["h:1"], "ping_interval_sec": 5}'
    s = MessagingSettings.parse(LinkValues({"config_json": config, "subscription": "y"}))
    assert (s.subscriptions, s.uris, s.ping_interval_s) == ((Subscription("y"),), ("nats://h:1",), 5)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"CLIENT_JWT": "eyJ"}, "needs CLIENT_SEED"),
        ({"SUBSCRIPTION": "a..b"}, "is not a NATS subject"),
        ({"SUBSCRIPTION": "a|bad queue"}, "bad queue group"),
        ({"config_json": '{"ping_interval_sec": 0}'}, "at least 1"),
        ({"config_json": '{"subscriptions": 5}'}, "comma-separated string or a list"),
        ({"config_b64": "!!"}, "not base64"),
    ],
)
def test_bad_settings(values: dict[str, str], message: str) -> None:
    with pytest.raises(ProviderConfigError, match=message):
        MessagingSettings.parse(LinkValues(values))


@pytest.mark.parametrize("subject", ["a", "a.b.c", "_INBOX.x"])
def test_publish_subjects(subject: str) -> None:
    assert check_subject(subject) == subject


@pytest.mark.parametrize("subject", ["", "a b", "a.", ".a", "a.*", ">"])
def test_bad_publish_subjects(subject: str) -> None:
    with pytest.raises(OperationFailed):
        check_subject(subject)
