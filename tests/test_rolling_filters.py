"""plugins/filter/rolling.py: batch size from serial, the batch plan and release pruning."""

import importlib.util
import pathlib

import pytest

PATH = pathlib.Path(__file__).parents[1] / "plugins" / "filter" / "rolling.py"
spec = importlib.util.spec_from_file_location("rolling_filters", PATH)
rolling = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rolling)


@pytest.mark.parametrize(("serial", "hosts", "size"), [
    (1, 4, 1), ("2", 4, 2), (" 3 ", 4, 3), ("0", 4, 0),
    ("50%", 4, 2), ("25%", 3, 1), ("10%", 3, 1), ("99.9%", 4, 3), ("100%", 4, 4),
    ("0%", 4, 0), ("half", 4, 0), ("-1", 4, 0), ("1.5", 4, 0), (True, 4, 0), (None, 4, 0), ("%", 4, 0),
])
def test_batch_size_resolves_like_ansible_serial(serial, hosts, size):
    assert rolling.rolling_batch_size(serial, hosts) == size


def test_batches_keep_inventory_order_with_the_unready_first():
    hosts = ["app1", "app2", "app3", "app4", "app5"]
    assert rolling.rolling_batches(hosts, 2) == [["app1", "app2"], ["app3", "app4"], ["app5"]]
    assert rolling.rolling_batches(hosts, 2, ["app4"]) == [["app4", "app1"], ["app2", "app3"], ["app5"]]
    assert rolling.rolling_batches([], 1) == []
    with pytest.raises(ValueError, match="at least 1"):
        rolling.rolling_batches(hosts, 0)


def test_pruning_keeps_the_newest_and_never_the_protected():
    found = [{"path": f"/opt/a/releases/r{i}", "mtime": i} for i in range(1, 6)]  # r5 newest
    # keep 3: current (r5) + 2 newest others; the rollback target r1 is protected.
    assert rolling.releases_to_prune(found, 3, ["r5", "r1"]) == ["r2"]
    assert rolling.releases_to_prune(found, 3, ["r5", ""]) == ["r2", "r1"]
    assert rolling.releases_to_prune(found, 1, ["r3"]) == ["r5", "r4", "r2", "r1"]
    assert rolling.releases_to_prune(found[:2], 3, ["r2"]) == []
