"""bench/loadgen.py against a real server on loopback: every request counted, failures seen,
and with --check-reuse a keep-alive connection the server closed while idle (as nginx does on
every reload) is replaced before use instead of costing a request."""

import contextlib
import http.server
import threading

import loadgen
import pytest


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    calls = 0

    def do_GET(self):
        Handler.calls += 1
        status = 503 if self.path == "/flaky" and Handler.calls % 4 == 0 else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.send_header("X-AI-Navigator-Release", "r1")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = self.path == "/post" and body == b'{"q": 1}'
        self.send_response(200 if ok else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class ClosingHandler(http.server.BaseHTTPRequestHandler):
    """Answers as if keeping the connection alive, then closes it: the idle close of a reload."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        self.close_connection = True

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(handler):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


@pytest.fixture
def server():
    with serving(Handler) as url:
        yield url


@pytest.fixture
def closing_server():
    with serving(ClosingHandler) as url:
        yield url + "/"


def test_counts_every_request_and_release(server):
    report = loadgen.Load(server + "/ok", rate=100, workers=2, timeout=2, body=None).run(1.0)
    assert 50 <= report.sent <= 110  # the rate is a ceiling; a busy machine may fall short
    assert report.failed == 0 and report.ok == report.sent
    assert report.releases == {"r1": report.sent}


def test_non_2xx_and_refused_connections_are_failures(server):
    Handler.calls = 0
    report = loadgen.Load(server + "/flaky", rate=80, workers=2, timeout=2, body=None).run(1.0)
    assert report.failed == sum(1 for f in report.failures if f["status"] == 503) > 0
    closed = loadgen.Load("http://127.0.0.1:9/", rate=20, workers=1, timeout=1, body=None).run(0.5)
    assert closed.sent > 0 and closed.failed == closed.sent and closed.failures[0]["error"]


def test_longest_gap_is_the_outage_a_client_saw():
    ok = [loadgen.Result(t, 0.0, 200, None, None, None) for t in (0.0, 0.1, 0.2, 1.7, 1.8)]
    assert loadgen.summarize("u", ok, 2.0).longest_gap == pytest.approx(1.5)


def test_mix_post_alternates_get_and_post_on_each_connection(server):
    report = loadgen.Load(server + "/ok", rate=100, workers=2, timeout=2, body=b'{"q": 1}', mix_post="/post").run(1.0)
    assert report.failed == 0, report.failures
    assert report.methods["GET"] > 10 and abs(report.methods["GET"] - report.methods.get("POST", 0)) <= 2


def test_naive_reuse_loses_a_request_per_closed_connection(closing_server):
    report = loadgen.Load(closing_server, rate=20, workers=1, timeout=2, body=None).run(1.0)
    assert report.failed > 0 and report.reconnects == 0
    assert all(f["status"] is None for f in report.failures)


def test_check_reuse_replaces_closed_connections(closing_server):
    report = loadgen.Load(closing_server, rate=20, workers=1, timeout=2, body=None, check_reuse=True).run(1.0)
    assert report.sent > 5 and report.failed == 0
    assert report.reconnects >= report.sent - 1


def test_https_verified_against_a_ca(tmp_path):
    """https:// URLs: one TLS connection per worker, kept alive, verified against --cacert."""
    import importlib.util
    import pathlib
    import ssl

    script = pathlib.Path(__file__).parents[1] / "roles" / "nginx" / "files" / "tls_certificates.py"
    spec = importlib.util.spec_from_file_location("tls_certificates", script)
    tls = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tls)
    issued = tls.issue(tmp_path, "loopback", ["127.0.0.1"], check=False)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(issued["certificate"], issued["key"])
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{httpd.server_address[1]}/ok"
    try:
        report = loadgen.Load(url, rate=50, workers=2, timeout=2, body=None, check_reuse=True,
                              cafile=issued["ca"]).run(1.0)
        assert report.sent > 20 and report.failed == 0 and report.reconnects == 0
        untrusted = loadgen.Load(url, rate=10, workers=1, timeout=2, body=None).run(0.3)
        assert untrusted.failed == untrusted.sent > 0
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted.failures[0]["error"]
    finally:
        httpd.shutdown()
