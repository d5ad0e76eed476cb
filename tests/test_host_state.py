"""The one read a role makes of a host (plugins/modules/host_state.py) and what differs from the
state the role wants (plugins/module_utils/state.py): a converged host must show no difference,
and every kind of drift must show, or the role would skip a host that needs converging."""

import hashlib
import os

import pytest

# Importable by the collection's name: tests/conftest.py links this checkout as ai_navigator.fleet.
from ansible_collections.ai_navigator.fleet.plugins.module_utils import state
from ansible_collections.ai_navigator.fleet.plugins.modules import host_state

ME = host_state._name(__import__("pwd").getpwuid, os.getuid())
MY_GROUP = host_state._name(__import__("grp").getgrgid, os.getgid())


def observe(*paths):
    return {"paths": {str(p): host_state.describe_path(str(p), 1 << 20) for p in paths}}


def test_a_file_directory_and_link_as_wanted_show_no_drift(tmp_path):
    (tmp_path / "f").write_text("content\n")
    (tmp_path / "f").chmod(0o640)
    (tmp_path / "d").mkdir(mode=0o750)
    (tmp_path / "d").chmod(0o750)
    (tmp_path / "l").symlink_to(tmp_path / "d")
    wanted = {"paths": [
        {"path": str(tmp_path / "f"), "state": "file", "owner": ME, "group": MY_GROUP, "mode": "0640",
         "checksum": hashlib.sha1(b"content\n").hexdigest()},
        {"path": str(tmp_path / "d"), "state": "directory", "mode": "0750"},
        {"path": str(tmp_path / "l"), "state": "link", "src": str(tmp_path / "d")},
        {"path": str(tmp_path / "l"), "state": "exists"},
        {"path": str(tmp_path / "gone"), "state": "absent"},
    ]}
    observed = observe(*(p["path"] for p in wanted["paths"]))
    assert state.state_drift(observed, wanted) == []


@pytest.mark.parametrize(("change", "want", "expected"), [
    (lambda p: p.write_text("other\n"), {"checksum": hashlib.sha1(b"content\n").hexdigest()}, "content differs"),
    (lambda p: p.chmod(0o600), {"mode": "0644"}, "mode 0600, wanted 0644"),
    (lambda p: p.chmod(0o644), {"mode": 0o600}, "mode 0644, wanted 0600"),
    (lambda p: p.unlink(), {}, "missing"),
    (lambda p: (p.unlink(), p.mkdir()), {"state": "file"}, "a directory, wanted a file"),
    (lambda p: None, {"state": "absent"}, "present, wanted absent"),
    (lambda p: None, {"owner": "nobody-else"}, f"owner {ME}, wanted nobody-else"),
    (lambda p: None, {"group": "no-such-group"}, f"group {MY_GROUP}, wanted no-such-group"),
])
def test_every_kind_of_path_drift_shows(tmp_path, change, want, expected):
    path = tmp_path / "f"
    path.write_text("content\n")
    path.chmod(0o644)
    change(path)
    drift = state.state_drift(observe(path), {"paths": [{"path": str(path), **want}]})
    assert drift == [f"{path}: {expected}"]


def test_a_link_to_another_release_shows(tmp_path):
    (tmp_path / "current").symlink_to("/opt/releases/1")
    drift = state.state_drift(observe(tmp_path / "current"),
                              {"paths": [{"path": str(tmp_path / "current"), "state": "link",
                                          "src": "/opt/releases/2"}]})
    assert drift == [f"{tmp_path}/current: points at /opt/releases/1, wanted /opt/releases/2"]


def test_a_path_the_host_did_not_report_is_drift_not_silence():
    assert state.state_drift({"paths": {}}, {"paths": [{"path": "/etc/x", "state": "file"}]}) == ["/etc/x: missing"]


def test_a_file_too_large_for_a_checksum_never_matches_one(tmp_path):
    (tmp_path / "big").write_bytes(b"x" * 10)
    observed = {"paths": {str(tmp_path / "big"): host_state.describe_path(str(tmp_path / "big"), 5)}}
    assert "checksum" not in observed["paths"][str(tmp_path / "big")]
    wanted = {"paths": [{"path": str(tmp_path / "big"), "checksum": hashlib.sha1(b"x" * 10).hexdigest()}]}
    assert state.state_drift(observed, wanted) == [f"{tmp_path}/big: content differs"]


SHOW = """Id=ai-navigator@8000.service
LoadState=loaded
ActiveState=active
UnitFileState=enabled

Id=ai-navigator@8001.service
LoadState=loaded
ActiveState=failed
UnitFileState=enabled

Id=ai-navigator@8002.service
LoadState=loaded
ActiveState=active
UnitFileState=disabled

Id=ai-navigator@8009.service
LoadState=loaded
ActiveState=active
UnitFileState=

Id=ai-navigator@8010.service
LoadState=loaded
ActiveState=inactive
UnitFileState=disabled
"""


def test_units_wanted_active_and_enabled_and_no_other_running():
    observed = {"units": host_state.parse_systemctl_show(SHOW)}
    assert observed["units"]["ai-navigator@8001.service"] == {"active": "failed", "enabled": "enabled",
                                                              "load": "loaded"}
    wanted = {"units": ["ai-navigator@8000.service", "ai-navigator@8001.service", "ai-navigator@8002.service",
                        {"name": "ai-navigator@8003.service"}],
              "only_units": "ai-navigator@*.service"}
    assert state.state_drift(observed, wanted) == [
        "ai-navigator@8001.service: failed, wanted active",
        "ai-navigator@8002.service: disabled, wanted enabled",
        "ai-navigator@8003.service: unknown, wanted active",
        "ai-navigator@8003.service: unknown, wanted enabled",
        # 8010 is neither active nor enabled: nothing to stop.
        "ai-navigator@8009.service: not wanted, but active and ",
    ]


def test_every_wanted_unit_active_and_enabled_shows_no_drift():
    observed = {"units": host_state.parse_systemctl_show(SHOW)}
    assert state.state_drift(observed, {"units": ["ai-navigator@8000.service"]}) == []


def test_packages_accounts_and_commands():
    installed = host_state.parse_dpkg_query("nftables\tii \t1.0.6-2\npython3\trc \t3.11.2-1\n")
    assert installed == {"nftables": "1.0.6-2"}
    observed = {
        "packages": {"nftables": "1.0.6-2", "python3": None},
        "users": {"svc": {"uid": 999, "group": "svc", "home": "/opt/svc", "shell": "/bin/bash"}, "gone": None},
        "groups": {"svc": 999, "gone": None},
        "commands": {"table": {"rc": 1, "stdout": ""}, "version": {"rc": 0, "stdout": "3.11\n"}},
    }
    wanted = {"packages": ["nftables", "python3"],
              "users": [{"name": "svc", "group": "svc", "home": "/opt/svc", "shell": "/usr/sbin/nologin"},
                        {"name": "gone"}],
              "groups": ["svc", "gone"], "commands": {"table": ["nft"], "version": ["python3"], "unread": ["x"]}}
    assert state.state_drift(observed, wanted) == [
        "package python3: not installed", "group gone: missing", "user svc: shell /bin/bash, wanted /usr/sbin/nologin",
        "user gone: missing", "command table: exit 1", "command unread: exit None"]


def test_the_module_reads_accounts_listings_and_commands_of_this_machine(tmp_path):
    assert host_state.read_user("root")["home"] == "/root"
    assert host_state.read_user("no-such-user-here") is None
    assert host_state.read_group("root") == 0
    assert host_state.read_group("no-such-group-here") is None
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    assert [e["path"] for e in host_state.list_directory(str(tmp_path))] == [str(tmp_path / "1"), str(tmp_path / "2")]
    assert host_state.list_directory(str(tmp_path / "none")) == []
    assert host_state.run(["sh", "-c", "echo hi; exit 3"]) == {"rc": 3, "stdout": "hi\n"}
    assert host_state.run(["/no/such/program"])["rc"] == 127


def test_the_reads_are_exactly_what_the_wanted_state_names():
    wanted = {"paths": [{"path": "/a"}, {"path": "/b", "state": "directory"}],
              "units": ["x.service", {"name": "y.service"}],
              "only_units": "x@*.service", "packages": ["p"], "users": [{"name": "u"}], "groups": ["g"],
              "commands": {"c": ["true"]}}
    assert state.reads_for(wanted) == {"paths": ["/a", "/b"], "units": ["x.service", "y.service", "x@*.service"],
                                       "packages": ["p"], "users": ["u"], "groups": ["g"], "commands": {"c": ["true"]}}
    assert state.reads_for({}) == {"paths": [], "units": [], "packages": [], "users": [], "groups": [], "commands": {}}


def test_a_command_that_prints_a_version_must_print_at_least_the_wanted_one():
    wanted = {"commands": {"version": {"argv": ["python3", "-V"], "at_least": "3.10"}}}
    assert state.reads_for(wanted)["commands"] == {"version": ["python3", "-V"]}
    for printed, drift in (("3.11\n", []), ("3.10", []), ("3.13.0rc1", []),
                           ("3.9\n", ["command version: printed 3.9, wanted at least 3.10"])):
        assert state.state_drift({"commands": {"version": {"rc": 0, "stdout": printed}}}, wanted) == drift
    missing = {"commands": {"version": {"rc": 127, "stdout": ""}}}
    assert state.state_drift(missing, wanted) == ["command version: exit 127"]
