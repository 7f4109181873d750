"The assembled playground, the dashboard notebooks and the Voila serve helper (headless; the browser tests live in tests/browser)."
import json, os, socket, subprocess, time, urllib.request
from pathlib import Path
import pytest
from fhai_nb.core import FhaiError
from fhai_nb.playground import (Playground, HeterogeneityExplorer, WhyFederate, DASHBOARDS, dashboards_dir, voila_command, serve,
                                wait_for_server)
from fhai_nb.widgets import Experiment, FederationState, TrainingState

def test_playground_panels_share_one_experiment():
    app = Playground(Experiment(training=TrainingState(rounds=3), mode="sync"), warm=False)
    ex = app.experiment
    assert app.federation_panel.state is ex.federation and app.training_panel.state is ex.training
    assert app.run_panel.experiment is ex and app.results_panel.session is ex.session
    app.federation_panel.n_sites.value = 3
    app.training_panel.rounds.value = 4
    app.run_panel.run_button.click()
    assert ex.run.status == "done" and ex.run.round == 4 and len(ex.run.site_names) == 3
    assert "<tbody>" in app.results_panel.table.value
    code = app.code_panel.show()
    assert "load_heart_disease(sites=['cleveland', 'hungary', 'switzerland'])" in code and "rounds=4" in code

def test_warm_up_thread_finishes(caplog):
    "The warm-up swallows its errors (it must never break the page), so check it logged none: a broken warm-up would pass otherwise."
    import logging
    with caplog.at_level(logging.WARNING, logger="fhai_nb.playground"):
        app = Playground(warm=True)
        app.warm_thread.join(120)
    assert not app.warm_thread.is_alive()
    assert not [r for r in caplog.records if "warm-up skipped" in r.getMessage()], caplog.text

def test_heterogeneity_explorer_reports_and_follows_controls():
    h = HeterogeneityExplorer()
    assert "top_feature" in h.report.value and h.state.source == "synthetic"
    before = h.report.value
    h.panel.n_sites.value = 3
    assert h.report.value != before and h.report.value.count("hospital_0") == 3

def test_why_federate_compares_three_methods():
    w = WhyFederate(rounds=5, seeds=(0,), mode="sync")
    w.button.click()
    assert w.result is not None and set(w.result.method) == {"FedAvg", "pooled (non-private)", "local only"}
    assert "switzerland" in w.table.value and len(w.plot.data) == 3

def test_dashboards_are_thin_and_carry_no_outputs_or_widget_state():
    for name in DASHBOARDS:
        nb = json.loads((dashboards_dir() / f"{name}.ipynb").read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert len(code) <= 3, name
        assert all(not c.get("outputs") for c in code), name
        assert "widgets" not in nb["metadata"], name
        src = "\n".join("".join(c["source"]) for c in code)
        assert "from fhai_nb.playground import" in src or "from fhai_nb.privacy_app import" in src  # the app lives in a module

def test_voila_command_has_workshop_settings():
    cmd = voila_command(port=9123, pool_size=3)
    for flag in ("--Voila.ip=127.0.0.1", "--port=9123", "--preheat_kernel=True", "--pool_size=3", "--no-browser",
                 "--MappingKernelManager.cull_interval=60", "--MappingKernelManager.cull_idle_timeout=300"):
        assert flag in cmd
    with pytest.raises(FhaiError, match="pool_size"): voila_command(pool_size=-1)
    with pytest.raises(FhaiError, match="no dashboards"): voila_command(root="/nonexistent/dir")

def test_plotly_renderer_loads_with_the_first_figure():
    "Voila pages load fhai-plotly-lazy, not jupyterlab-plotly's 4.8 MB bundle; the lazy loader finds that bundle when a figure is drawn."
    from jupyter_core.paths import jupyter_path
    from fhai_nb.playground import labextensions_dir
    cmd = voila_command()
    allow = json.loads(next(c for c in cmd if c.startswith("--VoilaConfiguration.extension_allowlist=")).split("=", 1)[1])
    assert "fhai-plotly-lazy" in allow and "jupyterlab-plotly" not in allow
    extra = json.loads(next(c for c in cmd if c.startswith("--VoilaConfiguration.extra_labextensions_path=")).split("=", 1)[1])
    assert extra == [str(labextensions_dir())]
    lazy = labextensions_dir() / "fhai-plotly-lazy"
    build = json.loads((lazy / "package.json").read_text())["jupyterlab"]["_build"]
    js = (lazy / build["load"]).read_text()
    assert build["mimeExtension"] == "./mimeExtension" and 'window._JUPYTERLAB["fhai-plotly-lazy"]' in js
    assert "application/vnd.plotly.v1+json" in js
    # what the loader reads at run time: the installed plotly extension's entry script and the module it exposes
    real = next(p for p in (Path(d) / "jupyterlab-plotly" / "package.json" for d in jupyter_path("labextensions")) if p.exists())
    real_build = json.loads(real.read_text())["jupyterlab"]["_build"]
    assert (real.parent / real_build["load"]).is_file() and real_build["mimeExtension"] == "./mimeExtension"

def test_serve_starts_voila_on_loopback_and_stops():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    proc = serve(port=port, pool_size=0, wait=False)
    try:
        wait_for_server(f"http://127.0.0.1:{port}", 90, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/api/contents", timeout=10) as r:
            body = r.read().decode()
        assert all(f"{n}.ipynb" in body for n in DASHBOARDS)  # the tree lists the three dashboards
    finally:
        proc.terminate(); proc.wait(30)


def test_fhai_dashboards_stops_voila_when_killed():
    "A plain `kill` of `fhai dashboards` (what a supervisor or a teacher's script sends) stops Voila too, not only Ctrl-C."
    import signal, sys
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    cli = subprocess.Popen([sys.executable, "-m", "fhai_nb.cli", "dashboards", "--port", str(port), "--pool-size", "0"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    voila = None
    try:
        wait_for_server(f"http://127.0.0.1:{port}", 90, cli)
        out = subprocess.run(["pgrep", "-f", f"port={port}"], capture_output=True, text=True).stdout.split()
        voila = [int(p) for p in out if int(p) != cli.pid]
        assert voila, "no Voila process found"
        cli.send_signal(signal.SIGTERM)
        cli.wait(30)
        deadline = time.time() + 30
        while time.time() < deadline and any(os.path.exists(f"/proc/{p}") and open(f"/proc/{p}/stat").read().split()[2] != "Z" for p in voila):
            time.sleep(0.2)
        assert not any(os.path.exists(f"/proc/{p}") and open(f"/proc/{p}/stat").read().split()[2] != "Z" for p in voila), "Voila outlived fhai dashboards"
    finally:
        if cli.poll() is None: cli.kill()
        for p in voila or []:
            try: os.kill(p, signal.SIGKILL)
            except ProcessLookupError: pass


def test_widget_tutorials_carry_no_outputs_or_widget_state():
    "A saved widget view without its kernel shows 'Error displaying widget'; tutorials with live panels are committed clean."
    from pathlib import Path
    tut = Path(__file__).resolve().parents[1] / "nbs" / "tutorials"
    names = ["01_why_federate", "02_heterogeneity", "03_choosing_a_strategy"]
    for name in names:
        nb = json.loads((tut / f"{name}.ipynb").read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert code and all(not c.get("outputs") and c.get("execution_count") is None for c in code), name
        assert "widgets" not in nb["metadata"], name
