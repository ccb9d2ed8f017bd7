"""Identity and Labels: who a host is, built from its configuration alone."""

from __future__ import annotations

import logging

import pytest

from host.config import BUILTIN_LABEL_PREFIX, HostConfig
from host.identity import Identity, LabelRejected, Labels
from lattice import keys


def test_identity_uses_the_configured_seeds_and_trusts_its_own_cluster_key() -> None:
    host_key = keys.KeyPair.create(keys.KeyType.SERVER)
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    other = keys.KeyPair.create(keys.KeyType.CLUSTER).public_key
    config = HostConfig(host_seed=host_key.seed, cluster_seed=cluster.seed, cluster_issuers=(other, cluster.public_key))
    me = Identity.from_config(config)
    assert me.host_id == host_key.public_key
    assert me.cluster_key.public_key == cluster.public_key
    assert me.cluster_issuers == (other, cluster.public_key)  # no duplicate
    assert me.friendly_name
    assert me.uptime_seconds() >= 0


def test_without_a_cluster_seed_a_random_key_is_used_and_said(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    me = Identity.from_config(HostConfig())
    assert keys.is_public_key(me.host_id, keys.KeyType.SERVER)
    assert me.cluster_issuers == (me.cluster_key.public_key,)
    assert f"random cluster key {me.cluster_key.public_key}" in caplog.text
    assert Identity.from_config(HostConfig()).host_id != me.host_id


def test_labels_hold_the_built_in_ones_and_the_configured_ones() -> None:
    labels = Labels.from_config(HostConfig(labels={"zone": "a"}))
    assert labels["zone"] == "a"
    assert any(key.startswith(BUILTIN_LABEL_PREFIX) for key in labels)
    assert labels.matches({"zone": "a"})
    assert not labels.matches({"zone": "b"})
    assert not labels.matches({"tier": "gold"})


def test_labels_change_but_built_in_ones_do_not() -> None:
    labels = Labels({f"{BUILTIN_LABEL_PREFIX}os": "linux"})
    labels.put("tier", "gold")
    assert dict(labels) == {f"{BUILTIN_LABEL_PREFIX}os": "linux", "tier": "gold"}
    labels.delete("tier")
    assert "tier" not in labels
    with pytest.raises(LabelRejected, match="empty or reserved"):
        labels.put(f"{BUILTIN_LABEL_PREFIX}os", "plan9")
    with pytest.raises(LabelRejected, match="empty or reserved"):
        labels.put("", "x")
    with pytest.raises(LabelRejected, match="built in"):
        labels.delete(f"{BUILTIN_LABEL_PREFIX}os")
    with pytest.raises(LabelRejected, match="no label 'tier'"):
        labels.delete("tier")
    assert dict(labels) == {f"{BUILTIN_LABEL_PREFIX}os": "linux"}
