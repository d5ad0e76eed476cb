"""Against a real process: readiness turns 503 on SIGTERM, the listener keeps accepting for the
drain period, an in-flight request still completes with 200, and the process exits 0.
Also checks the systemd notifications (READY=1, WATCHDOG=1, STOPPING=1) and that stdout is JSON."""

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest
from processes import free_port, serve, wait_healthy

DRAIN = 1.0



@pytest.fixture
def server(tmp_path):
    port = free_port()
    notify_name = f"ai-nav-test-{uuid.uuid4().hex}"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind("\0" + notify_name)
    notify.settimeout(0.2)
    received: list[str] = []
    stop = threading.Event()

    def collect():  # read continuously, as systemd does, so the datagram queue never fills
        while not stop.is_set():
            try:
                received.append(notify.recv(256).decode())
            except TimeoutError:
                pass
            except OSError:
                return

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    log = open(tmp_path / "stdout.log", "w+")
    proc = serve(port, {"NOTIFY_SOCKET": "@" + notify_name, "WATCHDOG_USEC": "300000", "WATCHDOG_PID": None,
                        "AI_NAVIGATOR_RELEASE": "proc-test", "AI_NAVIGATOR_GRACE_SECONDS": "10"},
                 "--drain-seconds", str(DRAIN), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_healthy(proc, port, log)

    def messages():
        return list(received)

    yield proc, port, base, messages, log
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    stop.set()
    reader.join(timeout=2)
    notify.close()
    log.close()


def test_sigterm_drains_then_exits_zero(server):
    proc, port, base, messages, log = server
    assert httpx.get(base + "/ready").json() == {"status": "ready"}
    time.sleep(0.35)
    early = messages()
    assert "READY=1" in early and "WATCHDOG=1" in early

    # An in-flight request: headers and half of the body now, the rest after SIGTERM.
    body = json.dumps({"query": "从家步行到公园"}, ensure_ascii=False).encode()
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"POST /api/ai/navigate HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
    time.sleep(0.2)

    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    r = httpx.get(base + "/ready", timeout=2)        # still accepting, but not ready
    assert r.status_code == 503 and r.json() == {"status": "draining"}
    assert r.headers["x-ai-navigator-release"] == "proc-test"
    assert r.headers["connection"] == "close"          # keep-alive connections are let go while draining
    assert httpx.get(base + "/health", timeout=2).status_code == 200  # liveness is unaffected

    # After the drain period the listener closes: new connections are refused...
    time.sleep(max(0.0, DRAIN + 0.7 - (time.monotonic() - t0)))
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert proc.poll() is None  # ...while the in-flight request keeps the process alive

    slow.sendall(body[10:])
    slow.settimeout(5)
    raw = b""
    while b"\r\n\r\n" not in raw or not raw.rstrip().endswith(b"}"):
        chunk = slow.recv(65536)
        if not chunk:
            break
        raw += chunk
    slow.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), raw[:200]
    assert json.loads(payload)["origin"] == "家"

    assert proc.wait(timeout=10) == 0
    assert "STOPPING=1" in messages()
    log.seek(0)
    lines = [ln for ln in log.read().splitlines() if ln.strip()]
    records = [json.loads(ln) for ln in lines]            # every stdout line is one JSON object
    access = [r for r in records if r.get("logger") == "ai_navigator.access"]
    assert {"method", "path", "status", "duration_ms", "instance"} <= set(access[0])
    assert any(r.get("path") == "/api/ai/navigate" and r["status"] == 200 for r in access)


def test_console_script_version():
    out = subprocess.run([sys.executable, "-m", "ai_navigator.cli", "version"], capture_output=True, text=True,
                         timeout=20)
    assert out.returncode == 0 and out.stdout.strip() == "1.0.0"
