"""NATS connection options: validation, the mapping onto nats-py's connect(), creds files and nonce signing."""

from __future__ import annotations

import base64
import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lattice.keys import KeyPair, KeyType, verify
from lattice.natsconn import (
    DEFAULT_NATS_URL,
    NatsAuthError,
    NatsConnectError,
    NatsOptions,
    NatsOptionsError,
    _auth_refused,
    _connect_error,
    connect_kwargs,
    nkey_auth,
    parse_nats_url,
    read_creds_file,
    redact_url,
)

USER = KeyPair.create(KeyType.USER)
USER_JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln"


def _creds_text(jwt: str, seed: str) -> str:
    return (
        f"-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n"
        "************************* IMPORTANT *************************\n"
        "NKEY Seed printed below can be used to sign and prove identity.\n\n"
        f"-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
    )


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unit CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


# --- URLs -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nats://127.0.0.1:4333", ("127.0.0.1", 4333)),
        ("tls://nats.example.com", ("nats.example.com", 4222)),
        ("127.0.0.1:5000", ("127.0.0.1", 5000)),
        ("nats://user:pw@host:7000", ("host", 7000)),
    ],
)
def test_parse_nats_url(url: str, expected: tuple[str, int]) -> None:
    assert parse_nats_url(url) == expected


@pytest.mark.parametrize("url", ["http://127.0.0.1:4222", "nats://127.0.0.1:notaport", "nats://", "nats://h:99999"])
def test_bad_urls_are_rejected_clearly(url: str) -> None:
    with pytest.raises(NatsOptionsError, match="bad NATS URL"):
        parse_nats_url(url)


def test_redact_url_hides_user_and_password() -> None:
    assert redact_url("nats://alice:s3cret@host:4222") == "nats://***@host:4222"
    assert redact_url("nats://host:4222") == "nats://host:4222"


# --- validation -----------------------------------------------------------------------------------------------------


def test_defaults_point_at_local_nats_and_reconnect_forever() -> None:
    opts = NatsOptions()
    assert opts.url == DEFAULT_NATS_URL == "nats://127.0.0.1:4222"
    assert opts.max_reconnect_attempts == -1
    assert not opts.uses_tls


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"jwt": USER_JWT}, "needs the user's nkey seed"),
        ({"seed": USER.seed, "creds_file": Path("x.creds")}, "either a creds file or a seed"),
        ({"tls_cert": Path("c.pem")}, "needs both tls_cert and tls_key"),
        ({"connect_timeout_s": 0}, "connect_timeout_s must be > 0"),
        ({"reconnect_wait_s": -1}, "reconnect_wait_s >= 0"),
        ({"max_reconnect_attempts": -2}, "-1 \\(forever\\)"),
        ({"seed": KeyPair.create(KeyType.ACCOUNT).seed}, "expected a user seed"),
        ({"seed": "SUnot-a-seed"}, "bad NATS user seed"),
    ],
)
def test_inconsistent_options_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(NatsOptionsError, match=message):
        NatsOptions(**kwargs)  # type: ignore[arg-type]


def test_repr_never_shows_seed_or_jwt() -> None:
    shown = repr(NatsOptions(seed=USER.seed, jwt=USER_JWT))
    assert USER.seed not in shown
    assert USER_JWT not in shown


# --- mapping onto nats-py -------------------------------------------------------------------------------------------


def test_plain_options_map_to_nats_py_kwargs() -> None:
    opts = NatsOptions(url="nats://127.0.0.1:4333", name="host-1", connect_timeout_s=3.5, reconnect_wait_s=0.25)
    assert connect_kwargs(opts, nkey_auth(opts)) == {
        "servers": ["nats://127.0.0.1:4333"],
        "name": "host-1",
        "connect_timeout": 3.5,
        "reconnect_time_wait": 0.25,
        "allow_reconnect": True,
        "max_reconnect_attempts": -1,
    }


def test_zero_reconnect_attempts_turns_reconnecting_off() -> None:
    # nats-py itself reads max_reconnect_attempts=0 as "forever".
    kwargs = connect_kwargs(NatsOptions(max_reconnect_attempts=0), None)
    assert kwargs["allow_reconnect"] is False


def test_bare_seed_signs_the_nonce_and_sends_no_jwt() -> None:
    opts = NatsOptions(seed=USER.seed)
    auth = nkey_auth(opts)
    kwargs = connect_kwargs(opts, auth)
    assert auth is not None
    assert auth.keypair.public_key == USER.public_key
    assert "user_jwt_cb" not in kwargs
    signature = base64.b64decode(kwargs["signature_cb"]("nonce-123"))
    verify(USER.public_key, b"nonce-123", signature)


def test_seed_and_jwt_send_the_jwt() -> None:
    opts = NatsOptions(seed=USER.seed, jwt=USER_JWT)
    kwargs = connect_kwargs(opts, nkey_auth(opts))
    assert kwargs["user_jwt_cb"]() == USER_JWT.encode()
    verify(USER.public_key, b"n", base64.b64decode(kwargs["signature_cb"]("n")))


def test_creds_file_supplies_jwt_and_seed(tmp_path: Path) -> None:
    creds = tmp_path / "user.creds"
    creds.write_text(_creds_text(USER_JWT, USER.seed), encoding="ascii")
    auth = nkey_auth(NatsOptions(creds_file=creds))
    assert auth is not None
    assert (auth.jwt, auth.keypair.public_key) == (USER_JWT, USER.public_key)


def test_read_creds_file_rejects_other_files(tmp_path: Path) -> None:
    creds = tmp_path / "not.creds"
    creds.write_text("hello\n", encoding="ascii")
    with pytest.raises(NatsOptionsError, match="is not a NATS creds file"):
        read_creds_file(creds)
    with pytest.raises(NatsOptionsError, match="cannot read NATS creds file"):
        read_creds_file(tmp_path / "missing.creds")


def test_no_tls_context_unless_asked() -> None:
    assert "tls" not in connect_kwargs(NatsOptions(), None)


def test_tls_ca_builds_a_verifying_context(ca_file: Path) -> None:
    tls = connect_kwargs(NatsOptions(tls_ca=ca_file), None)["tls"]
    assert isinstance(tls, ssl.SSLContext)
    assert tls.verify_mode == ssl.CERT_REQUIRED
    assert tls.check_hostname
    assert len(tls.get_ca_certs()) == 1


@pytest.mark.parametrize("opts", [NatsOptions(tls_required=True), NatsOptions(url="tls://127.0.0.1:4222")])
def test_tls_without_files_uses_the_system_trust_store(opts: NatsOptions) -> None:
    assert connect_kwargs(opts, None)["tls"].verify_mode == ssl.CERT_REQUIRED


def test_unreadable_tls_files_are_an_options_error(tmp_path: Path) -> None:
    with pytest.raises(NatsOptionsError, match="cannot load TLS files"):
        connect_kwargs(NatsOptions(tls_ca=tmp_path / "missing.pem"), None)


# --- error classification -------------------------------------------------------------------------------------------


def test_authorization_violation_is_a_refusal() -> None:
    assert _auth_refused(Exception("nats: 'Authorization Violation'"), auth_required=False)


def test_reset_after_connect_is_a_refusal_only_when_auth_is_required() -> None:
    assert _auth_refused(ConnectionResetError(), auth_required=True)
    assert not _auth_refused(ConnectionResetError(), auth_required=False)


def test_refusal_messages_say_what_to_do() -> None:
    url = "nats://u:p@h:1"
    wrong = _connect_error(url, None, refused=True, has_credentials=True)
    missing = _connect_error(url, None, refused=True, has_credentials=False)
    assert isinstance(wrong, NatsAuthError)
    assert "check the seed, JWT or creds file" in str(wrong)
    assert "requires credentials" in str(missing)
    assert "p@" not in str(wrong) + str(missing)


def test_unreachable_message_points_at_lattice_up() -> None:
    err = _connect_error("nats://h:1", OSError("refused"), refused=False, has_credentials=False)
    assert type(err) is NatsConnectError
    assert str(err) == (
        "could not reach NATS at nats://h:1: is a server running? start one with `lattice up` (last error: refused)"
    )
