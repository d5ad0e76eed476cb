"""The supply-chain inputs of the app role: a lock whose every pin carries hashes, and the per-release
install file wheelhouse.py writes (the lock plus the service's own wheel with its sha256)."""

import hashlib
import importlib.util
import pathlib
import re

ROOT = pathlib.Path(__file__).parents[1]
LOCK = (ROOT / "app" / "requirements.lock").read_text()


def wheelhouse():
    spec = importlib.util.spec_from_file_location("wheelhouse", ROOT / "roles" / "app" / "files" / "wheelhouse.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def requirements(text: str) -> dict[str, list[str]]:
    """name==version -> its hashes, from a pip requirements file with continuation lines."""
    joined = re.sub(r"\\\n\s*", " ", re.sub(r"(?m)^\s*#.*\n", "", text))
    out = {}
    for line in joined.splitlines():
        if line.strip():
            pin, *options = line.split()
            out[pin] = [o.removeprefix("--hash=") for o in options]
    return out


def test_every_pin_of_the_lock_is_exact_and_hashed():
    pins = requirements(LOCK)
    assert len(pins) >= 10
    for pin, hashes in pins.items():
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.+!-]*", pin), pin
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), pin
    names = {pin.split("==")[0].lower().replace("_", "-") for pin in pins}
    assert {"fastapi", "uvicorn", "pydantic", "pydantic-core", "pydantic-settings", "prometheus-client", "h11"} <= names


def test_the_install_file_adds_the_service_wheel_with_its_sha256(tmp_path):
    wheel = tmp_path / "ai_navigator-1.2.3-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    text = wheelhouse().install_requirements(LOCK, wheel)
    pins = requirements(text)
    assert pins["ai_navigator==1.2.3"] == ["sha256:" + hashlib.sha256(b"not really a wheel").hexdigest()]
    assert {k: v for k, v in pins.items() if k != "ai_navigator==1.2.3"} == requirements(LOCK)
