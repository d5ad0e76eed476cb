"""The load balancers' TLS certificates, on the controller, with the `cryptography` library.

  tls_certificates.py issue --dir DIR --host lb1 --name lb1 --name 10.0.0.11 [--check]
      Keeps a CA (DIR/ca.crt, DIR/ca.key) and one certificate per LB (DIR/lb1.crt, DIR/lb1.key)
      that the CA signed. Both are generated once and reused on every run; a certificate is
      issued again only when it does not cover the names asked for or has under
      RENEW_DAYS left. Prints {"changed": bool, "certificate": path, "key": path, "ca": path}.
      --check reports what it would do and writes nothing.

  tls_certificates.py inspect --name lb1 --name 10.0.0.11 --min-days 14  < {"certificate": PEM, "private_key": PEM}
      Checks an operator's certificate and key (read from stdin, so a key never shows in a
      process list): they parse, they match, the names are covered, it is valid now and for
      at least --min-days more. Prints {"problems": [...], "names": [...], "not_after": ISO, "days_left": N};
      it exits 0 even with problems, so the caller decides and names its variable.

The generated certificates follow Mozilla's intermediate profile: ECDSA P-256 keys, SHA-256
signatures, leaves valid LEAF_DAYS (under the profile's 366-day maximum).
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import os
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
LEAF_DAYS = 365
RENEW_DAYS = 30


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def parse_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def cert_names(cert: x509.Certificate) -> list[str]:
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(n) for n in sans.get_values_for_type(x509.IPAddress)] + sans.get_values_for_type(x509.DNSName)


def covers(cert_name: str, name: str) -> bool:
    """Does one SAN entry cover a name? IPs compare as addresses; a DNS wildcard covers one label."""
    try:
        return ipaddress.ip_address(cert_name) == ipaddress.ip_address(name)
    except ValueError:
        pass
    cert_name, name = cert_name.lower().rstrip("."), name.lower().rstrip(".")
    if cert_name.startswith("*."):
        head, dot, rest = name.partition(".")
        return bool(head and dot) and rest == cert_name[2:]
    return cert_name == name


def uncovered(cert: x509.Certificate, names: list[str]) -> list[str]:
    have = cert_names(cert)
    return [n for n in names if not any(covers(h, n) for h in have)]


def days_left(cert: x509.Certificate) -> float:
    return (cert.not_valid_after_utc - now()).total_seconds() / 86400


def write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ai_navigator.fleet CA")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now() - datetime.timedelta(minutes=5))
        .not_valid_after(now() + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_leaf(ca_key, ca_cert: x509.Certificate, host: str, names: list[str]):
    key = new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now() - datetime.timedelta(minutes=5))
        .not_valid_after(now() + datetime.timedelta(days=LEAF_DAYS))
        .add_extension(x509.SubjectAlternativeName([parse_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def issue(directory: Path, host: str, names: list[str], check: bool) -> dict:
    ca_crt, ca_key = directory / "ca.crt", directory / "ca.key"
    crt, key = directory / f"{host}.crt", directory / f"{host}.key"
    result = {"changed": False, "certificate": str(crt), "key": str(key), "ca": str(ca_crt), "reasons": []}
    ca = None
    if ca_crt.exists() and ca_key.exists():
        ca = (x509.load_pem_x509_certificate(ca_crt.read_bytes()),
              serialization.load_pem_private_key(ca_key.read_bytes(), None))
        if days_left(ca[0]) < LEAF_DAYS:
            result["reasons"].append("the CA expires within a leaf's lifetime")
            ca = None
    else:
        result["reasons"].append("no CA yet")
    leaf_ok = False
    if ca and crt.exists() and key.exists():
        leaf = x509.load_pem_x509_certificate(crt.read_bytes())
        leaf_key = serialization.load_pem_private_key(key.read_bytes(), None)
        missing = uncovered(leaf, names)
        if missing:
            result["reasons"].append(f"{crt.name} does not cover {', '.join(missing)}")
        elif days_left(leaf) < RENEW_DAYS:
            result["reasons"].append(f"{crt.name} expires in under {RENEW_DAYS} days")
        elif leaf.issuer != ca[0].subject or leaf_key.public_key() != leaf.public_key():
            result["reasons"].append(f"{crt.name} is not the CA's or does not match its key")
        else:
            leaf_ok = True
    elif ca:
        result["reasons"].append(f"no {crt.name} yet")
    if leaf_ok:
        return result
    result["changed"] = True
    if check:
        return result
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if ca is None:
        ca_private, ca_cert = make_ca()
        write_private(ca_key, key_pem(ca_private))
        ca_crt.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    else:
        ca_cert, ca_private = ca
    leaf_private, leaf_cert = make_leaf(ca_private, ca_cert, host, names)
    write_private(key, key_pem(leaf_private))
    crt.write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM))
    return result


def inspect(pems: dict, names: list[str], min_days: int) -> dict:
    result: dict = {"problems": [], "names": [], "not_after": None, "days_left": None}
    try:
        cert = x509.load_pem_x509_certificates(pems.get("certificate", "").encode())[0]
    except ValueError:
        result["problems"].append("the certificate is not a PEM X.509 certificate")
        return result
    try:
        key = serialization.load_pem_private_key(pems.get("private_key", "").encode(), None)
    except (ValueError, TypeError):
        result["problems"].append("the private key is not an unencrypted PEM private key")
        key = None
    left = days_left(cert)
    result.update(names=cert_names(cert), not_after=cert.not_valid_after_utc.isoformat(), days_left=int(left))
    if key is not None and key.public_key() != cert.public_key():
        result["problems"].append("the private key does not match the certificate")
    missing = uncovered(cert, names)
    if missing:
        result["problems"].append(f"the certificate does not cover {', '.join(missing)} "
                                  f"(it names {', '.join(result['names']) or 'nothing'})")
    if cert.not_valid_before_utc > now():
        result["problems"].append(f"the certificate is not valid before {cert.not_valid_before_utc.isoformat()}")
    if left <= 0:
        result["problems"].append(f"the certificate expired on {result['not_after']}")
    elif left < min_days:
        result["problems"].append(f"the certificate expires in {int(left)} days ({result['not_after']}), "
                                  f"under {min_days}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_issue = sub.add_parser("issue")
    p_issue.add_argument("--dir", type=Path, required=True)
    p_issue.add_argument("--host", required=True)
    p_issue.add_argument("--check", action="store_true")
    p_inspect = sub.add_parser("inspect")
    p_inspect.add_argument("--min-days", type=int, default=0)
    for p in (p_issue, p_inspect):
        p.add_argument("--name", action="append", default=[],
                       help="a DNS name or IP address the certificate must cover")
    args = parser.parse_args(argv)
    if args.command == "issue":
        if "/" in args.host or args.host.startswith("."):
            parser.error(f"--host {args.host!r} is no file name")
        out = issue(args.dir, args.host, args.name, args.check)
    else:
        out = inspect(json.load(sys.stdin), args.name, args.min_days)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
