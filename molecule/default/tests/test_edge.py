"""The edge of the fleet: HTTPS per Mozilla's intermediate profile, limits per client, client
timeouts, allowed methods, restricted paths and hidden instance headers, each asserted from
outside (the controller, another lab host) against the real LB."""

from __future__ import annotations

import ast
import http.client
import json
import re
import socket
import ssl
import subprocess
import threading
import time

import harness
import pytest

LB = harness.group("ai_navigator_lb")[0]
ADDRESS = harness.address(LB)
OTHER_CLIENT = harness.group("ai_navigator_app")[0]  # a second client address: an app host
DEFAULTS = harness.role_defaults("nginx")
SSLYZE = harness.REPO / ".venv-sslyze" / "bin" / "sslyze"


def https(method: str = "GET", path: str = "/version", body: bytes | None = None, headers: dict | None = None,
          context: ssl.SSLContext | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPSConnection(ADDRESS, 443, timeout=5, context=context or harness.tls_context())
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def test_sslyze_mozilla_intermediate_passes():
    done = subprocess.run([str(SSLYZE), "--mozilla_config=intermediate", f"--certinfo_ca_file={harness.TLS_CA}",
                           f"{ADDRESS}:443"], capture_output=True, text=True, timeout=300)
    print(done.stdout[-1500:])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert f"{ADDRESS}:443: OK - Compliant." in done.stdout


def test_curl_verifies_the_lb_against_the_ca():
    ok = subprocess.run(["curl", "-sS", "--fail", "--cacert", str(harness.TLS_CA), f"https://{ADDRESS}/health"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["status"] == "healthy"
    # without the CA the certificate is not trusted
    untrusted = subprocess.run(["curl", "-sS", "--fail", f"https://{ADDRESS}/health"], capture_output=True, text=True)
    assert untrusted.returncode == 60, untrusted.stderr


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_old_tls_versions_are_refused(version):
    context = harness.tls_context()
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.maximum_version = version
    context.set_ciphers("ALL:@SECLEVEL=0")
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        https(context=context)


def test_tls12_without_session_tickets_and_with_hsts():
    context = harness.tls_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection((ADDRESS, 443), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=ADDRESS) as tls:
            assert tls.version() == "TLSv1.2"
            assert tls.cipher()[0].startswith("ECDHE-")
            tls.sendall(f"GET /health HTTP/1.1\r\nHost: {ADDRESS}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
            assert not tls.session.has_ticket
    assert f"Strict-Transport-Security: max-age={DEFAULTS['ai_navigator_nginx_hsts_max_age']}" in answer.decode()


def test_http_redirects_to_https():
    conn = http.client.HTTPConnection(ADDRESS, 80, timeout=5)
    conn.request("GET", "/api/x?y=1")
    response = conn.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"https://{ADDRESS}/api/x?y=1"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "XYZZY"])
def test_other_methods_get_405_at_the_edge(method):
    response = https(method, "/version")
    assert response.status == 405
    assert response.getheader("X-AI-Navigator-LB") == LB  # nginx answered, not an instance


def test_get_head_post_pass():
    assert https("GET", "/version").status == 200
    # HEAD passes the edge: nginx handed it to an instance (the access log names the upstream)
    https("HEAD", "/version")
    last = harness.sh(LB, "sync; grep '\"HEAD /version' /var/log/nginx/access.log | tail -n 1").out
    assert re.search(r"upstream=\d+\.\d+\.\d+\.\d+:\d+", last), last
    response = https("POST", "/api/ai/navigate", json.dumps({"query": "from Berlin to Munich"}).encode(),
                     {"Content-Type": "application/json"})
    assert response.status == 200, response.body


@pytest.mark.parametrize("path", ["/metrics", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect",
                                  "//metrics", "/%6detrics", "/./metrics", "/metrics?x=1"])
def test_restricted_paths_are_refused_from_outside(path):
    assert https("GET", path).status == 403


def test_restricted_paths_answer_on_the_lb_itself():
    rc, out = harness.sh(LB, "python3 -c \"import ssl,urllib.request; c=ssl._create_unverified_context(); "
                               "print(*[urllib.request.urlopen('https://127.0.0.1'+p, context=c).status "
                               "for p in ('/metrics', '/openapi.json', '/docs')])\"", check=False)
    assert rc == 0 and out.split() == ["200", "200", "200"], out


def test_instance_headers_are_hidden_at_the_edge():
    response = https("GET", "/version")
    assert response.status == 200
    assert response.getheader("X-AI-Navigator-Instance") is None
    assert response.getheader("X-AI-Navigator-Release") is None
    assert response.getheader("X-AI-Navigator-LB") == LB


def paced(rate: float, seconds: float) -> dict[int, int]:
    """One keep-alive client at `rate` requests/s: count of answers by status."""
    conn = http.client.HTTPSConnection(ADDRESS, 443, timeout=5, context=harness.tls_context())
    counts: dict[int, int] = {}
    began = time.monotonic()
    for i in range(int(rate * seconds)):
        delay = began + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        conn.request("GET", "/health")
        response = conn.getresponse()
        response.read()
        counts[response.status] = counts.get(response.status, 0) + 1
    conn.close()
    return counts


def test_flood_gets_429_while_a_normal_client_and_another_client_are_served():
    rate, burst = DEFAULTS["ai_navigator_nginx_limit_req_rate"], DEFAULTS["ai_navigator_nginx_limit_req_burst"]
    seconds = 8
    # One client below the limit first: nothing refused.
    normal = paced(rate * 0.5, 4)
    assert normal == {200: int(rate * 0.5 * 4)}, normal
    # A flood from the controller (wrk, 20 connections) while another address asks at 20/s.
    other: dict = {}

    def other_client():
        rc, out = harness.sh(OTHER_CLIENT, (
            "python3 -c \"import ssl,time,urllib.request,urllib.error,collections; c=ssl._create_unverified_context(); "
            "n=collections.Counter(); t=time.time()\n"
            f"for i in range({20 * (seconds - 2)}):\n"
            "    time.sleep(max(0, t+i/20-time.time()))\n"
            "    try: n[urllib.request.urlopen('https://" + ADDRESS + "/health', context=c, timeout=5).status]+=1\n"
            "    except urllib.error.HTTPError as e: n[e.code]+=1\n"
            "print(dict(n))\""), check=False)
        other.update(rc=rc, out=out)

    thread = threading.Thread(target=other_client)
    began = time.monotonic()
    thread.start()
    flood = subprocess.run(["wrk", "-t2", "-c20", f"-d{seconds}s", "-H", "Connection: keep-alive",
                            f"https://{ADDRESS}/health"], capture_output=True, text=True, timeout=seconds + 30)
    thread.join(60)
    elapsed = time.monotonic() - began
    total = int(re.search(r"(\d+) requests in", flood.stdout).group(1))
    refused_line = re.search(r"Non-2xx or 3xx responses: (\d+)", flood.stdout)
    refused = int(refused_line.group(1)) if refused_line else 0
    served = total - refused
    line = (f"flood from one client (wrk, 20 connections, {seconds} s): {total} requests, {total / seconds:.0f}/s; "
            f"served {served} ({served / seconds:.0f}/s), 429 for {refused} ({100 * refused / max(total, 1):.1f}%); "
            f"client at {rate * 0.5:.0f}/s before: {normal}; another client at 20/s meanwhile: {other.get('out')}")
    harness.figure(line)
    assert refused > total * 0.5, flood.stdout
    # what passed is the rate plus the burst (and a little slack for timing)
    assert served <= rate * elapsed + burst + rate, line
    assert served >= rate * (seconds - 1), line
    assert other.get("rc") == 0 and ast.literal_eval(other["out"]) == {200: 20 * (seconds - 2)}, other


def answered(tls: ssl.SSLSocket) -> bytes:
    """What the server answered on this connection so far, without waiting (b'' for nothing yet).
    Not select(): TLS 1.3 session tickets arrive after the handshake and make a socket readable."""
    tls.setblocking(False)
    try:
        return tls.recv(65536)
    except ssl.SSLWantReadError:
        return b""
    finally:
        tls.setblocking(True)


def test_connections_per_client_are_limited():
    """Requests waiting for their bodies hold connections; past the limit the next gets 429."""
    limit = DEFAULTS["ai_navigator_nginx_limit_conn"]
    # An earlier flood may have left the request-rate bucket full: a POST refused 429 by
    # limit_req would free its connection. Let the bucket drain first (burst / rate seconds).
    time.sleep(DEFAULTS["ai_navigator_nginx_limit_req_burst"] / DEFAULTS["ai_navigator_nginx_limit_req_rate"] + 1)
    held = []
    try:
        for _ in range(limit):
            tls = harness.tls_context().wrap_socket(socket.create_connection((ADDRESS, 443), timeout=5),
                                                  server_hostname=ADDRESS)
            tls.sendall(f"POST /api/ai/navigate HTTP/1.1\r\nHost: {ADDRESS}\r\nContent-Type: application/json\r\n"
                        f"Content-Length: 100\r\n\r\n{{".encode())
            held.append(tls)
        time.sleep(0.5)
        assert not any(map(answered, held)), "held requests were answered already (they must wait for their bodies)"
        assert https("GET", "/health").status == 429
    finally:
        for tls in held:
            tls.close()
    time.sleep(0.5)
    assert https("GET", "/health").status == 200


def test_slow_and_idle_clients_are_cut_off():
    """A header never finished, a body that stops, an idle keep-alive connection: all closed
    after the configured timeouts (10 s), where nginx's defaults wait 60-75 s."""
    timeout = 10

    def opened(first: bytes) -> ssl.SSLSocket:
        tls = harness.tls_context().wrap_socket(socket.create_connection((ADDRESS, 443), timeout=timeout + 10),
                                              server_hostname=ADDRESS)
        tls.sendall(first)
        return tls

    host = f"Host: {ADDRESS}\r\n".encode()
    # not /health: a request whose header never ends is logged before a location applies
    header = opened(b"GET /version HTTP/1.1\r\n" + host)
    body = opened(b"POST /api/ai/navigate HTTP/1.1\r\n" + host + b"Content-Length: 50\r\n\r\n{\"query\":")
    idle = opened(b"GET /health HTTP/1.1\r\n" + host + b"\r\n")
    idle.recv(65536)  # its answer; then it just stays idle
    began = time.monotonic()
    results = {}

    def wait_closed(name, tls):
        data = b""
        try:
            while chunk := tls.recv(65536):
                data += chunk
        except OSError as error:
            data += repr(error).encode()
        results[name] = (time.monotonic() - began, data[:40])

    threads = [threading.Thread(target=wait_closed, args=item) for item in
               {"header": header, "body": body, "idle": idle}.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 15)
    harness.figure(f"edge: slow and idle clients closed after: { {k: round(v[0], 1) for k, v in results.items()} }; "
                   f"body answer: {results['body'][1]!r}")
    for name, (after, _) in results.items():
        assert timeout - 1 <= after <= timeout + 3, (name, results)
