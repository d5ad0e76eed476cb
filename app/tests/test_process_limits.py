"""Against a real `ai-navigator serve` process, with real sockets: a slow or idle client cannot pin
a socket (header, body and keep-alive timeouts), connections beyond the cap are refused, HEAD works
over HTTP/1.1, and the process refuses to start when its file-descriptor limit cannot hold its
connection cap. Timeouts are set short here (1-3 s) so the test is quick; the defaults are 10 s."""

import resource
import socket
import subprocess
import time

import httpx
import pytest
from processes import free_port, serve, wait_healthy

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
KEEPALIVE = 3.0  # longer than the header timeout, so a 408 cannot come from the wrong timer
MAX_CONNECTIONS = 4
SLACK = 1.5  # event-loop tick, a loaded 2-core machine



@pytest.fixture(scope="module")
def served(tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("limits") / "stdout.log", "w+")
    proc = serve(port, {"AI_NAVIGATOR_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
                        "AI_NAVIGATOR_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
                        "AI_NAVIGATOR_KEEPALIVE_SECONDS": str(KEEPALIVE),
                        "AI_NAVIGATOR_MAX_CONNECTIONS": str(MAX_CONNECTIONS)},
                 "--drain-seconds", "0", stdout=log, stderr=subprocess.STDOUT)
    wait_healthy(proc, port, log)
    yield port, log
    proc.terminate()
    proc.wait(timeout=20)
    log.seek(0)
    assert "Traceback" not in log.read()  # a timed-out client is not an error of the service
    log.close()


@pytest.fixture
def server(served):
    return served[0]


def until_closed(sock: socket.socket, limit: float, trickle: bytes = b"") -> tuple[float, bytes]:
    """Read until the server closes; returns (seconds, bytes received). Sends `trickle` every 0.2 s."""
    t0 = time.monotonic()
    data = b""
    sock.settimeout(0.2)
    while time.monotonic() - t0 < limit:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            if trickle:
                try:
                    sock.sendall(trickle)
                except OSError:
                    return time.monotonic() - t0, data
            continue
        except ConnectionResetError:
            return time.monotonic() - t0, data
        if not chunk:
            return time.monotonic() - t0, data
        data += chunk
    pytest.fail(f"socket still open after {limit} s (received {data!r})")


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=2)


def test_idle_connection_is_closed_silently(server):
    with connect(server) as sock:
        held, data = until_closed(sock, HEADER_TIMEOUT + SLACK)
    assert HEADER_TIMEOUT - 0.1 <= held and data == b""


def test_half_a_request_line_gets_408(server):
    with connect(server) as sock:
        sock.sendall(b"GET /hea")
        held, data = until_closed(sock, HEADER_TIMEOUT + SLACK)
    assert HEADER_TIMEOUT - 0.1 <= held
    assert data.startswith(b"HTTP/1.1 408 ") and b"connection: close" in data


def test_headers_trickled_byte_by_byte_are_cut_off(server):
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        held, data = until_closed(sock, HEADER_TIMEOUT + SLACK, trickle=b"x")
    assert data.startswith(b"HTTP/1.1 408 ") or data.startswith(b"HTTP/1.1 400 ")
    assert held <= HEADER_TIMEOUT + SLACK


def test_slow_body_gets_408(served):
    server, log = served
    with connect(server) as sock:
        sock.sendall(b"POST /api/ai/navigate HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n"
                     b"content-length: 2000\r\n\r\n{\"query\": \"")
        held, data = until_closed(sock, BODY_TIMEOUT + SLACK, trickle=b" ")
    assert BODY_TIMEOUT - 0.1 <= held
    assert data.startswith(b"HTTP/1.1 408 ") and b"Request timed out" in data
    time.sleep(0.2)
    log.seek(0)
    assert '"path": "/api/ai/navigate", "route": "/api/ai/navigate", "status": 408' in log.read()


def test_idle_keep_alive_connection_is_closed_after_a_response(server):
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nhost: t\r\n\r\n")
        held, data = until_closed(sock, KEEPALIVE + SLACK)
    assert data.startswith(b"HTTP/1.1 200 ")
    assert KEEPALIVE - 0.1 <= held


@pytest.mark.parametrize("pipelined", [False, True], ids=["after-the-response", "pipelined"])
def test_a_second_request_on_a_connection_gets_its_own_header_timeout(server, pipelined):
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nhost: t\r\n\r\n" + (b"GET /hea" if pipelined else b""))
        if not pipelined:
            time.sleep(0.3)
            sock.sendall(b"GET /hea")  # the next request starts, then stalls
        held, data = until_closed(sock, HEADER_TIMEOUT + SLACK)  # well before the keep-alive timeout
    assert data.startswith(b"HTTP/1.1 200 ") and b"HTTP/1.1 408 " in data


def test_connections_beyond_the_cap_are_refused_and_the_cap_recovers(server):
    held = [connect(server) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)
        with connect(server) as extra:
            _, data = until_closed(extra, 2)
        assert data.startswith(b"HTTP/1.1 503 ") and b"Too many connections" in data
        # The connections under the cap are served.
        held[0].sendall(b"GET /health HTTP/1.1\r\nhost: t\r\n\r\n")
        held[0].settimeout(2)
        assert held[0].recv(4096).startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert httpx.get(f"http://127.0.0.1:{server}/health", timeout=2).status_code == 200


def test_head_over_http11(server):
    with connect(server) as sock:
        sock.sendall(b"HEAD /version HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        _, data = until_closed(sock, 3)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and b"content-length: " in head and body == b""


def test_refuses_to_start_without_file_descriptors_for_its_connections():
    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    proc = serve(free_port(), {"AI_NAVIGATOR_MAX_CONNECTIONS": "1000"}, "--drain-seconds", "0", preexec_fn=low_limit,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "AI_NAVIGATOR_MAX_CONNECTIONS=1000 needs 1064 file descriptors" in err and "hard limit is 256" in err
