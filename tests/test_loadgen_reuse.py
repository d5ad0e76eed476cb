"""bench/loadgen.py --check-reuse: a keep-alive connection the server closed while idle (as nginx
does on every reload) is replaced before use instead of costing a request."""

import http.server
import pathlib
import sys
import threading

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "bench"))
import loadgen  # noqa: E402


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


@pytest.fixture
def closing_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ClosingHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def test_naive_reuse_loses_a_request_per_closed_connection(closing_server):
    report = loadgen.Load(closing_server, rate=20, workers=1, timeout=2, body=None).run(1.0)
    assert report.failed > 0 and report.reconnects == 0
    assert all(f["status"] is None for f in report.failures)


def test_check_reuse_replaces_closed_connections(closing_server):
    report = loadgen.Load(closing_server, rate=20, workers=1, timeout=2, body=None, check_reuse=True).run(1.0)
    assert report.sent > 5 and report.failed == 0
    assert report.reconnects >= report.sent - 1
