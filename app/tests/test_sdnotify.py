import os
import socket
import uuid

from ai_navigator.runtime import sdnotify


def _bind(path_or_abstract: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path_or_abstract)
    s.settimeout(2)
    return s


def test_notify_to_path_socket(tmp_path):
    path = str(tmp_path / "notify.sock")
    with _bind(path) as s:
        assert sdnotify.notify("READY=1", env={"NOTIFY_SOCKET": path})
        assert sdnotify.notify("STOPPING=1", env={"NOTIFY_SOCKET": path})
        assert s.recv(100) == b"READY=1"
        assert s.recv(100) == b"STOPPING=1"


def test_notify_to_abstract_socket():
    name = f"ai-nav-test-{uuid.uuid4().hex}"
    with _bind("\0" + name) as s:
        assert sdnotify.notify("WATCHDOG=1", env={"NOTIFY_SOCKET": "@" + name})
        assert s.recv(100) == b"WATCHDOG=1"


def test_notify_without_socket_is_a_no_op():
    assert sdnotify.notify("READY=1", env={}) is False
    assert sdnotify.notify("READY=1", env={"NOTIFY_SOCKET": "/nonexistent/sock"}) is False


def test_watchdog_interval_is_a_third():
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "3000000"}) == 1.0
    assert sdnotify.watchdog_interval({}) is None
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "x"}) is None
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "3000000", "WATCHDOG_PID": str(os.getpid() + 1)}) is None


def test_notify_never_blocks_when_the_queue_is_full():
    name = f"ai-nav-test-{uuid.uuid4().hex}"
    with _bind("\0" + name):
        results = [sdnotify.notify("WATCHDOG=1", env={"NOTIFY_SOCKET": "@" + name}) for _ in range(2000)]
    assert results[0] is True and results[-1] is False  # dropped, not blocked
