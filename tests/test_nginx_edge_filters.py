"""plugins/filter/nginx_edge.py: what the nginx role's preflight accepts for its edge settings."""

import importlib.util
import pathlib

import pytest

PATH = pathlib.Path(__file__).parents[1] / "plugins" / "filter" / "nginx_edge.py"
spec = importlib.util.spec_from_file_location("nginx_edge", PATH)
edge = importlib.util.module_from_spec(spec)
spec.loader.exec_module(edge)


def test_networks():
    good = ["10.0.0.0/8", "192.0.2.7", "10.1.2.3/24", "2001:db8::/32", "::1"]
    assert edge.nginx_edge_bad_networks(good) == []
    assert edge.nginx_edge_bad_networks(["10.0.0.0/33", "all", "10.0.0.1; allow all", 5]) == [
        "10.0.0.0/33", "all", "10.0.0.1; allow all", "5"]
    assert edge.nginx_edge_bad_networks("10.0.0.0/8") == ["'10.0.0.0/8'"]


@pytest.mark.parametrize(("value", "ok"), [("10s", True), ("500ms", True), ("1m", True), ("30", True),
                                           ("10 s", False), ("10s; deny all", False), ("", False), ("1h", False)])
def test_times(value, ok):
    assert (edge.nginx_edge_bad_times({"v": value}) == []) is ok


@pytest.mark.parametrize(("value", "ok"), [("lb1", True), ("lb1.example.net", True), ("*.example.net", True),
                                           ("10.0.0.1", True), ("2001:db8::1", True), ("a b", False),
                                           ("-bad.example", False), ("x;y", False), ("a.*.example", False)])
def test_names(value, ok):
    assert (edge.nginx_edge_bad_names([value]) == []) is ok
