import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "bench"))


# Tests that run a container engine (podman, dockerd) are slow and leave `make unit` to
# `make containers` (part of `make test`): they run with --containers, and are skipped without it.
def pytest_addoption(parser):
    parser.addoption("--containers", action="store_true",
                     help="run the tests marked 'containers' (they build images and run engines)")


def pytest_configure(config):
    config.addinivalue_line("markers", "containers: runs a container engine; needs --containers")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--containers"):
        return
    import pytest

    skip = pytest.mark.skip(reason="runs a container engine: make containers (pytest --containers)")
    for item in items:
        if "containers" in item.keywords:
            item.add_marker(skip)
