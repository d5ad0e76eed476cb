"""roles/nginx/files/tls_certificates.py: the controller's CA and LB certificates, and the
preflight inspection of an operator's certificate."""

from __future__ import annotations

import datetime
import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SCRIPT = pathlib.Path(__file__).parents[1] / "roles" / "nginx" / "files" / "tls_certificates.py"
spec = importlib.util.spec_from_file_location("tls_certificates", SCRIPT)
tls = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tls)


def run(*args: str, stdin: str | None = None) -> dict:
    done = subprocess.run([sys.executable, SCRIPT, *args], input=stdin, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def pems(directory: pathlib.Path, host: str) -> str:
    return json.dumps({"certificate": (directory / f"{host}.crt").read_text(),
                       "private_key": (directory / f"{host}.key").read_text()})


def test_issue_creates_once_then_reuses(tmp_path):
    first = run("issue", "--dir", str(tmp_path), "--host", "lb1", "--name", "lb1", "--name", "10.0.0.11")
    assert first["changed"]
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(files) == {"ca.crt", "ca.key", "lb1.crt", "lb1.key"}
    assert (tmp_path / "ca.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "lb1.key").stat().st_mode & 0o777 == 0o600
    again = run("issue", "--dir", str(tmp_path), "--host", "lb1", "--name", "lb1", "--name", "10.0.0.11")
    assert not again["changed"]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files


def test_issued_certificate_chains_to_the_ca_and_fits_mozilla_intermediate(tmp_path):
    run("issue", "--dir", str(tmp_path), "--host", "lb1", "--name", "lb1", "--name", "10.0.0.11")
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.crt").read_bytes())
    leaf = x509.load_pem_x509_certificate((tmp_path / "lb1.crt").read_bytes())
    leaf.verify_directly_issued_by(ca)
    assert sorted(tls.cert_names(leaf)) == ["10.0.0.11", "lb1"]
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey) and leaf.public_key().curve.name == "secp256r1"
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days <= 366


def test_second_host_shares_the_ca(tmp_path):
    run("issue", "--dir", str(tmp_path), "--host", "lb1", "--name", "lb1")
    ca = (tmp_path / "ca.crt").read_bytes()
    second = run("issue", "--dir", str(tmp_path), "--host", "lb2", "--name", "lb2")
    assert second["changed"] and (tmp_path / "ca.crt").read_bytes() == ca


def test_new_name_reissues_the_certificate_not_the_ca(tmp_path):
    run("issue", "--dir", str(tmp_path), "--host", "lb1", "--name", "lb1")
    ca, leaf = (tmp_path / "ca.crt").read_bytes(), (tmp_path / "lb1.crt").read_bytes()
    result = run("issue", "--dir", str(tmp_path), "--host", "lb1", "--name", "lb1", "--name", "10.0.0.200")
    assert result["changed"] and "does not cover 10.0.0.200" in result["reasons"][0]
    assert (tmp_path / "ca.crt").read_bytes() == ca and (tmp_path / "lb1.crt").read_bytes() != leaf


def test_check_writes_nothing(tmp_path):
    result = run("issue", "--dir", str(tmp_path / "tls"), "--host", "lb1", "--name", "lb1", "--check")
    assert result["changed"]
    assert not (tmp_path / "tls").exists()


def test_host_must_be_a_file_name(tmp_path):
    done = subprocess.run([sys.executable, SCRIPT, "issue", "--dir", str(tmp_path), "--host", "../x", "--name", "x"],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "--host" in done.stderr


def test_inspect_accepts_a_good_certificate(tmp_path):
    run("issue", "--dir", str(tmp_path), "--host", "lb1", "--name", "lb1", "--name", "10.0.0.11")
    report = run("inspect", "--name", "lb1", "--name", "10.0.0.11", "--min-days", "14", stdin=pems(tmp_path, "lb1"))
    assert report["problems"] == []
    assert 360 <= report["days_left"] <= 365


def test_inspect_names_each_problem(tmp_path):
    run("issue", "--dir", str(tmp_path), "--host", "lb1", "--name", "lb1")
    run("issue", "--dir", str(tmp_path), "--host", "lb2", "--name", "lb2")
    mixed = json.dumps({"certificate": (tmp_path / "lb1.crt").read_text(),
                        "private_key": (tmp_path / "lb2.key").read_text()})
    report = run("inspect", "--name", "lb1", "--name", "10.0.0.200", "--min-days", "400", stdin=mixed)
    problems = " | ".join(report["problems"])
    assert "does not match" in problems
    assert "does not cover 10.0.0.200" in problems
    assert "under 400" in problems


def self_signed(days_from: int, days_to: int, names: list[str]) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now + datetime.timedelta(days=days_from))
            .not_valid_after(now + datetime.timedelta(days=days_to))
            .add_extension(x509.SubjectAlternativeName([tls.parse_name(n) for n in names]), critical=False)
            .sign(key, hashes.SHA256()))
    return json.dumps({"certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
                       "private_key": tls.key_pem(key).decode()})


def test_inspect_refuses_an_expired_certificate():
    report = run("inspect", "--name", "lb.example.net", "--min-days", "0",
                 stdin=self_signed(-30, -1, ["lb.example.net"]))
    assert any("expired" in p for p in report["problems"]), report


@pytest.mark.parametrize(("san", "name", "covered"), [
    ("*.example.net", "lb1.example.net", True),
    ("*.example.net", "a.b.example.net", False),
    ("*.example.net", "example.net", False),
    ("LB1.example.net.", "lb1.example.net", True),
    ("10.0.0.1", "10.0.0.1", True),
    ("10.0.0.1", "10.0.0.2", False),
])
def test_wildcards_cover_one_label(san, name, covered):
    assert tls.covers(san, name) is covered


def test_inspect_reports_garbage_without_failing():
    report = run("inspect", "--name", "x", stdin=json.dumps({"certificate": "nope", "private_key": "nope"}))
    assert report["problems"] == ["the certificate is not a PEM X.509 certificate"]
