import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
# The scenarios' test harness (molecule/shared/harness.py): its pure parts have unit tests here.
sys.path.insert(0, str(ROOT / "molecule" / "shared"))

# The filter plugins import the shared helpers by the collection's name
# (ansible_collections.ai_navigator.fleet.plugins.module_utils...), as Ansible loads them: make
# this checkout importable under that name, whether or not scripts/setup.sh linked it yet.
_collections = pathlib.Path(tempfile.mkdtemp(prefix="ai-navigator-collections-"))
(_collections / "ansible_collections" / "ai_navigator").mkdir(parents=True)
(_collections / "ansible_collections" / "ai_navigator" / "fleet").symlink_to(ROOT)
sys.path.insert(0, str(_collections))
