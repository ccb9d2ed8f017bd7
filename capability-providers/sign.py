"""(Re)sign the claims of the bundled capability providers: ``claims.jwt`` in each provider package.

    .venv/bin/python capability-providers/sign.py [--issuer actors-examples/keys/account.nk] [--new-keys]

Each provider keeps its service key (V…): the subject of its current ``claims.jwt`` is reused unless
``--new-keys`` is given or there is no token yet. The service seed is never needed (a provider signs nothing with
it), so only its public key is kept, inside the token. Python providers ship no binary: ``target_hashes`` is empty.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lattice import keys
from lattice.claims import Claims, ClaimsError, ProviderMetadata
from lattice.claims import jwt as claims_jwt

ROOT = Path(__file__).resolve().parent
DEFAULT_ISSUER = ROOT.parent / "actors-examples" / "keys" / "account.nk"
VENDOR = "wasmlattice"


@dataclass(frozen=True)
class Spec:
    package: str
    name: str
    capid: str
    rev: int
    ver: str

    @property
    def claims_file(self) -> Path:
        short = self.package.removeprefix("wasmlattice_")
        return ROOT / short / self.package / "claims.jwt"


PROVIDERS = (
    Spec("wasmlattice_httpserver", "HTTP Server", "wasmcloud:httpserver", 1, "0.1.0"),
    Spec("wasmlattice_keyvalue", "Key-Value (JetStream/Redis)", "wasmcloud:keyvalue", 1, "0.1.0"),
    Spec("wasmlattice_messaging", "NATS Messaging", "wasmcloud:messaging", 1, "0.1.0"),
)


def current_subject(path: Path) -> str | None:
    """The service key of an existing token (its signature is not checked: we are about to re-sign it)."""
    try:
        claims = claims_jwt.decode(path.read_text(encoding="ascii"), ProviderMetadata, verify=False)
    except (OSError, ClaimsError):
        return None
    return claims.subject if keys.is_public_key(claims.subject, keys.KeyType.SERVICE) else None


def sign(spec: Spec, issuer: keys.KeyPair, new_key: bool) -> str:
    subject = None if new_key else current_subject(spec.claims_file)
    subject = subject or keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    claims = Claims(
        issuer=issuer.public_key,
        subject=subject,
        issued_at=int(time.time()),
        id=claims_jwt.nuid(),
        metadata=ProviderMetadata(name=spec.name, capid=spec.capid, vendor=VENDOR, rev=spec.rev, ver=spec.ver),
    )
    token = claims_jwt.encode(claims, issuer)
    spec.claims_file.write_text(token + "\n", encoding="ascii")
    return subject


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issuer", type=Path, default=DEFAULT_ISSUER, help="account seed file (SA…)")
    parser.add_argument("--new-keys", action="store_true", help="give every provider a fresh service key")
    args = parser.parse_args(argv)
    try:
        issuer = keys.KeyPair.from_seed(args.issuer.read_text(encoding="ascii"), keys.KeyType.ACCOUNT)
    except (OSError, keys.NKeyError) as exc:
        print(f"sign.py: cannot use issuer {args.issuer}: {exc}", file=sys.stderr)
        return 2
    for spec in PROVIDERS:
        subject = sign(spec, issuer, args.new_keys)
        print(f"{spec.package}: {spec.capid} {subject} (issuer {issuer.public_key})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
