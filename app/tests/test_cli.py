import http.server
import socket
import threading

import pytest

from ai_navigator import cli


def test_flags_override_environment(monkeypatch):
    monkeypatch.setenv("AI_NAVIGATOR_PORT", "8001")
    monkeypatch.setenv("AI_NAVIGATOR_HOST", "0.0.0.0")
    monkeypatch.setenv("AI_NAVIGATOR_RELEASE", "from-env")
    monkeypatch.setenv("AI_NAVIGATOR_GRACE_SECONDS", "3")
    s = cli.settings_from_args(cli.parser().parse_args(["serve", "--port", "8002", "--release", "from-flag"]))
    assert (s.port, s.host, s.release, s.grace_seconds) == (8002, "0.0.0.0", "from-flag", 3.0)
    assert s.instance_name.endswith(":8002")


def test_invalid_settings_exit_2_without_serving(monkeypatch, capsys):
    monkeypatch.setenv("AI_NAVIGATOR_DRAIN_SECONDS", "-1")
    assert cli.main(["serve", "--port", "8003"]) == 2
    err = capsys.readouterr().err
    # Named as the operator set it, with the value; one line, no traceback.
    assert "AI_NAVIGATOR_DRAIN_SECONDS=-1" in err.replace("'", "")
    assert "Traceback" not in err


def test_version_command(capsys):
    assert cli.main(["version"]) == 0
    assert capsys.readouterr().out.strip() == "1.0.0"


class _Answers(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200 if self.path == "/ready" else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def answering_port():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_healthcheck_exit_code_follows_the_answer(answering_port, capsys):
    assert cli.main(["healthcheck", "--port", str(answering_port)]) == 0
    assert cli.main(["healthcheck", "--port", str(answering_port), "--path", "/draining"]) == 1
    assert "503" in capsys.readouterr().err


def test_healthcheck_port_from_environment(answering_port, monkeypatch):
    monkeypatch.setenv("AI_NAVIGATOR_PORT", str(answering_port))
    assert cli.main(["healthcheck"]) == 0


def test_healthcheck_fails_when_nothing_listens(capsys):
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert cli.main(["healthcheck", "--port", str(port), "--timeout", "1"]) == 1
    assert "refused" in capsys.readouterr().err.lower()
