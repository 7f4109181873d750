"The fhai command line: called through main(argv) and as a real process."
import subprocess, sys, importlib.util
import pytest
from fhai_nb.cli import main, _lazy
from fhai_nb.core import FhaiError

def test_help(capsys):
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out

def test_unknown_command():
    with pytest.raises(SystemExit) as e: main(["frobnicate"])
    assert e.value.code == 2

def test_lazy_missing_module_message():
    with pytest.raises(FhaiError, match="pip install"):
        _lazy("fhai_nb.not_a_module", "main", "pip install 'fhai_nb[flower]'")

@pytest.mark.skipif(importlib.util.find_spec("fhai_nb.bench") is not None, reason="bench is installed")
def test_bench_absent_is_a_clear_error(capsys):
    assert main(["bench"]) == 2
    assert "fhai_nb[flower]" in capsys.readouterr().err

def test_demo_subprocess():
    r = subprocess.run([sys.executable, "-m", "fhai_nb.cli", "demo"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Heart Disease (FLamby protocol)" in r.stdout and "switzerland" in r.stdout
