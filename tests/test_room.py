"Room mode mechanics that need no server: planning, the protocol pieces, the CLI's refusals."
import asyncio, base64, json
import numpy as np
import pytest
from fhai_nb.core import FhaiError
from fhai_nb.room import KernelCost, RoomKernelManager, plan_room, room_command
from fhai_nb.room_check import plot_rounds, _msg
from fhai_nb.cli import main

COST = KernelCost(pss_mb=250, pss_after_run_mb=300, warm_cpu_s=4.0, run_cpu_s=0.4, server_mb=150)

def test_plan_spares_grow_with_the_room_and_count_against_memory():
    assert plan_room(5, COST, available_mb=24_000, cores=2).spare == 2
    assert plan_room(40, COST, available_mb=24_000, cores=2).spare == 4
    p = plan_room(10, COST, dashboard="why_federate", available_mb=24_000, cores=2)
    assert p.pools == {"why_federate.ipynb": 10, "playground.ipynb": 1, "heterogeneity.ipynb": 1, "privacy.ipynb": 1}
    assert p.memory_mb == pytest.approx(150 + (10 + 2 + 3) * 300)

@pytest.mark.parametrize("bad, msg", [(dict(n=-3), "1 or more"), (dict(n=True), "whole number"), (dict(window=0), "window"),
                                      (dict(spare=1.5), "spare must be")])
def test_plan_refuses_bad_input(bad, msg):
    kw = dict(n=4, cost=COST, available_mb=24_000, cores=2) | bad
    with pytest.raises(FhaiError, match=msg): plan_room(**kw)

def test_room_command_pools_unlisted_notebooks_get_none():
    cmd = room_command(plan_room(3, COST, available_mb=24_000, cores=2), port=9999)
    pools = json.loads(next(a for a in cmd if a.startswith("--VoilaKernelManager.kernel_pools_config=")).split("=", 1)[1])
    assert pools["default"] == {"pool_size": 0} and pools["playground.ipynb"] == {"pool_size": 3}
    assert "--KernelRestarter.restart_limit=0" in cmd and "--RoomKernelManager.room_spare=2" in cmd

def test_plot_rounds_reads_plain_and_typed_arrays():
    x = np.arange(1, 8, dtype="f8")
    typed = {"dtype": "f8", "bdata": base64.b64encode(x.tobytes()).decode()}
    fig = {"data": [{"x": typed, "y": typed}, {"x": list(range(7)), "y": [0] * 7}]}
    assert plot_rounds([{"output_type": "display_data", "data": {"application/vnd.plotly.v1+json": fig}}]) == 7
    assert plot_rounds([]) == 0 and plot_rounds(None) == 0

def test_messages_carry_a_parseable_date_and_the_control_version():
    m = json.loads(_msg("comm_open", {"comm_id": "c", "target_name": "jupyter.widget.control", "data": {}}, "s", {"version": "1.0.0"}))
    from datetime import datetime
    datetime.fromisoformat(m["header"]["date"])  # an empty date makes the server drop the message silently
    assert m["metadata"] == {"version": "1.0.0"} and m["channel"] == "shell"

def test_waiting_kernels_are_not_culled():
    class Done:
        def __init__(self, kid): self.kid = kid
        def done(self): return True
        def cancelled(self): return False
        def exception(self): return None
        def result(self): return {"kernel_id": self.kid}
    km = RoomKernelManager.__new__(RoomKernelManager)  # no server: only the pool bookkeeping is exercised
    km._pools = {"playground.ipynb": [Done("a"), Done("b")]}
    assert km._pooled() == {"a": "playground.ipynb", "b": "playground.ipynb"}
    assert asyncio.run(km.cull_kernel_if_idle("a")) is None

@pytest.mark.parametrize("argv, msg", [(["dashboards", "--room", "0"], "1 or more"),
                                       (["dashboards", "--room", "3", "--pool-size", "2"], "leave out --pool-size")])
def test_cli_room_refusals(argv, msg, capsys, monkeypatch):
    import fhai_nb.room_check as room_check
    monkeypatch.setattr(room_check, "kernel_cost", lambda *a, **k: COST)
    assert main(argv) == 2
    assert msg in capsys.readouterr().err


def test_every_packaged_dashboard_is_planned():
    from fhai_nb.playground import DASHBOARDS
    from fhai_nb.room import DASHBOARD_FILES
    assert DASHBOARD_FILES == {d: f"{d}.ipynb" for d in DASHBOARDS}
