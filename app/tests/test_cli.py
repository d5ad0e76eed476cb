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
    assert "drain_seconds" in capsys.readouterr().err


def test_version_command(capsys):
    assert cli.main(["version"]) == 0
    assert capsys.readouterr().out.strip() == "1.0.0"
