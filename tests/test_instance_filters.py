"""plugins/filter/instances.py: which app instances to start and which to stop, from systemctl show."""

import importlib.util
import pathlib

PATH = pathlib.Path(__file__).parents[1] / "plugins" / "filter" / "instances.py"
spec = importlib.util.spec_from_file_location("instance_filters", PATH)
instances = importlib.util.module_from_spec(spec)
spec.loader.exec_module(instances)


def show(*units):
    return "\n\n".join(f"Id={u}\nActiveState={a}\nUnitFileState={f}" for u, a, f in units) + "\n"


def test_nothing_to_do_when_every_wanted_instance_is_active_and_enabled():
    out = show(("ai-navigator@8000.service", "active", "enabled"), ("ai-navigator@8001.service", "active", "enabled"),
               ("ai-navigator@8000.service", "active", "enabled"))
    assert instances.app_instance_changes(out, [8000, 8001]) == {"start": [], "stop": []}


def test_an_instance_stopped_disabled_failed_or_unknown_is_started():
    out = show(("ai-navigator@8000.service", "inactive", "enabled"),
               ("ai-navigator@8001.service", "active", "disabled"), ("ai-navigator@8002.service", "failed", "enabled"),
               ("ai-navigator@8003.service", "inactive", ""), ("ai-navigator@8004.service", "active", "enabled"))
    assert instances.app_instance_changes(out, ["8000", 8001, 8002, 8003, 8004, 8005]) == {
        "start": [8000, 8001, 8002, 8003, 8005], "stop": []}


def test_instances_beyond_the_wanted_ones_are_stopped_and_other_units_ignored():
    out = show(("ai-navigator@8000.service", "active", "enabled"), ("ai-navigator@8003.service", "active", "enabled"),
               ("ai-navigator@8010.service", "failed", "disabled"),
               ("ai-navigator-firewall.service", "active", "enabled"))
    assert instances.app_instance_changes(out, [8000]) == {
        "start": [], "stop": ["ai-navigator@8003.service", "ai-navigator@8010.service"]}


def test_empty_output_starts_every_wanted_instance():
    assert instances.app_instance_changes("", [8000, 8001]) == {"start": [8000, 8001], "stop": []}
