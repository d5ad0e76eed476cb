import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "bench"))
# The scenarios' test harness (molecule/shared/harness.py): its pure parts have unit tests here.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "molecule" / "shared"))
