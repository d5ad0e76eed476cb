"""plugins/filter/monitoring.py: the Prometheus file_sd targets the monitoring role writes."""

import importlib.util
import pathlib

_spec = importlib.util.spec_from_file_location(
    "monitoring_filters", pathlib.Path(__file__).parents[1] / "plugins" / "filter" / "monitoring.py")
monitoring = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(monitoring)


def inst(port, address, release="1.0.0-abc", state="active"):
    return {"port": port, "address": address, "configured_release": release, "active_state": state}


def test_every_instance_is_a_target_with_host_port_release_labels():
    results = [
        {"item": "app2", "instances": [inst(8001, "10.0.0.22"), inst(8000, "10.0.0.22", state="inactive")]},
        {"item": "app1", "instances": [inst(8000, "2001:db8::21", release="0.9.0-old")]},
    ]
    assert monitoring.prometheus_file_sd(results, {}, {"env": "prod", "host": "overridden"}) == [
        {"targets": ["[2001:db8::21]:8000"],
         "labels": {"env": "prod", "host": "app1", "port": "8000", "release": "0.9.0-old", "service": "ai-navigator"}},
        {"targets": ["10.0.0.22:8000"],
         "labels": {"env": "prod", "host": "app2", "port": "8000", "release": "1.0.0-abc", "service": "ai-navigator"}},
        {"targets": ["10.0.0.22:8001"],
         "labels": {"env": "prod", "host": "app2", "port": "8001", "release": "1.0.0-abc", "service": "ai-navigator"}},
    ]


def test_an_instance_on_a_wildcard_is_reached_at_its_host_address():
    results = [{"item": "app1", "instances": [inst(8000, "127.0.0.1")]},
               {"item": "app2", "instances": [inst(8000, "::1"), inst(8001, None)]}]
    targets = [e["targets"][0] for e in monitoring.prometheus_file_sd(results, {"app1": "10.0.0.21", "app2": None})]
    assert targets == ["10.0.0.21:8000", "app2:8000", "app2:8001"]


def test_a_host_without_instances_adds_no_target():
    assert monitoring.prometheus_file_sd([{"item": "app1", "instances": []}]) == []
