"Pytest bridge: one test per notebook, run as nbdev-test runs it (skipping cells flagged with tst_flags)."
import os
from pathlib import Path
import pytest
import nbdev.test as nbt
from nbdev.config import get_config

CFG = get_config()
NBS = sorted(p for p in Path(CFG.nbs_path).rglob("*.ipynb") if not any(part.startswith(("_", ".")) for part in p.relative_to(CFG.nbs_path).parts))

@pytest.mark.parametrize("nb", NBS, ids=[str(p.relative_to(CFG.nbs_path)) for p in NBS])
def test_notebook(nb):
    flags = CFG.tst_flags.split()
    if os.environ.get("FHAI_SLOW") == "1": flags = [f for f in flags if f != "slow"]
    ok, _ = nbt.test_nb(nb, skip_flags=flags, basepath=CFG.config_path)
    assert ok, f"{nb} failed; run `nbdev-test {nb}` to see the cell"
