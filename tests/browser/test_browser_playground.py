"End to end in real headless Chromium: the playground in Voila, and a tutorial's widgets in JupyterLab."
import time
import pytest

pytestmark = pytest.mark.browser

def _wait_done(page, root: str, timeout_ms: int = 120_000) -> dict:
    "Wait until the run status says done with every round, and return its data attributes."
    page.wait_for_selector(f"{root} .fhai-run-status [data-status='done']", timeout=timeout_ms)
    el = page.locator(f"{root} .fhai-run-status [data-status]").first
    return dict(round=int(el.get_attribute("data-round")), rounds=int(el.get_attribute("data-rounds")))

def _points(page, root: str) -> list[int]:
    "Number of drawn markers in each trace of the live plot."
    return page.eval_on_selector_all(f"{root} .fhai-live-plot .scatterlayer .trace",
                                     "els => els.map(e => e.querySelectorAll('path.point').length)")

def test_playground_in_voila(voila_server, open_page, artifacts):
    t0 = time.perf_counter()
    page, errors = open_page(voila_server + "/voila/render/playground.ipynb")
    usable = time.perf_counter() - t0
    # the first view draws no plotly figure (the prevalence bars are HTML), so plotly.js (4.8 MB) is not loaded with the page
    assert page.locator(".fhai-fed-bars tr").count() == 4
    assert page.evaluate("() => !(window._JUPYTERLAB || {})['jupyterlab-plotly']")
    page.select_option(".fhai-preview-view select", "age")  # a feature's distribution: plotly loads and draws it
    page.wait_for_selector(".fhai-fed-preview .scatterlayer .trace", timeout=60_000)
    assert page.evaluate("() => !!window._JUPYTERLAB['jupyterlab-plotly']") and page.locator(".fhai-fed-bars tr").count() == 0
    page.select_option(".fhai-preview-view select", "prevalence")
    page.wait_for_selector(".fhai-fed-bars tr", timeout=30_000)
    # change the number of sites: Heart Disease has four hospitals; keyboard the slider down to three
    handle = page.locator(".fhai-sites .noUi-handle")
    handle.focus(); handle.press("ArrowLeft")
    page.wait_for_function("() => document.querySelector('.fhai-fed-summary').innerText.includes('3 sites')", timeout=60_000)
    sites = page.eval_on_selector_all(".fhai-fed-summary table tbody tr", "rs => rs.map(r => r.cells[0].innerText.trim())")
    assert sites == ["cleveland", "hungary", "switzerland"], sites
    t1 = time.perf_counter()
    page.click(".fhai-run")
    st = _wait_done(page, "")
    to_plot = time.perf_counter() - t1
    assert st["round"] == st["rounds"] == 20
    try:
      page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.fhai-live-plot .scatterlayer .trace')).every(t => t.querySelectorAll('path.point').length == 20)"
        " && document.querySelectorAll('.fhai-live-plot .scatterlayer .trace').length == 4", timeout=30_000)
    finally:
        page.screenshot(path=str(artifacts / "voila_playground.png"), full_page=True)
        print(_points(page, ""), page.inner_text(".fhai-run-status"))
    assert _points(page, "") == [20, 20, 20, 20]  # the weighted curve and three sites, every round drawn
    page.wait_for_selector(".fhai-session-table tbody tr", timeout=60_000)
    rows = page.locator(".fhai-session-table tbody tr")
    assert rows.count() == 1 and "FedAvg" in rows.first.inner_text()
    assert "Traceback" not in page.inner_text("body")
    page.screenshot(path=str(artifacts / "voila_playground.png"), full_page=True)
    print(f"usable page {usable:.1f} s; Run to final plot {to_plot:.2f} s")
    # Stop in a real kernel (worker thread, events delivered on the kernel's loop; headless tests cover only the inline and
    # loop-less thread paths): a long run stops early, its session row says so, and Run works again
    page.get_by_text("Rounds and local work").click()
    rounds = page.locator(".fhai-rounds .noUi-handle")
    rounds.focus(); rounds.press("End")
    page.wait_for_function("() => document.querySelector('.fhai-rounds .widget-readout').innerText.trim() == '200'", timeout=30_000)
    epochs = page.locator(".fhai-local-epochs .noUi-handle")  # 200 rounds of 20 local epochs: long enough to press Stop in
    epochs.focus(); epochs.press("End")
    page.wait_for_function("() => document.querySelector('.fhai-local-epochs .widget-readout').innerText.trim() == '20'", timeout=30_000)
    page.click(".fhai-run")
    page.wait_for_function("() => { const s = document.querySelector('.fhai-run-status [data-status]');"
                           " return s && s.dataset.status == 'running' && +s.dataset.round >= 2; }", timeout=60_000)
    page.click(".fhai-stop")
    page.wait_for_selector(".fhai-run-status [data-status='stopped']", timeout=60_000)
    st = page.locator(".fhai-run-status [data-status]").first
    assert int(st.get_attribute("data-round")) < int(st.get_attribute("data-rounds")) == 200
    page.wait_for_function("() => document.querySelectorAll('.fhai-session-table tbody tr').length == 2", timeout=60_000)
    assert "stopped" in page.locator(".fhai-session-table tbody tr").nth(1).inner_text()
    page.wait_for_function("() => !document.querySelector('.fhai-run').disabled", timeout=10_000)
    page.click(".fhai-run")  # the runner is free again: a new run starts (tests/test_widgets.py checks no baselines follow Stop)
    page.wait_for_function("() => { const s = document.querySelector('.fhai-run-status [data-status]');"
                           " return s && s.dataset.status == 'running' && +s.dataset.round >= 1; }", timeout=60_000)
    assert "already in progress" not in page.inner_text(".fhai-run-message")
    page.click(".fhai-stop")
    page.wait_for_selector(".fhai-run-status [data-status='stopped']", timeout=60_000)
    page.screenshot(path=str(artifacts / "voila_playground_stop.png"), full_page=True)
    assert not errors, errors

def test_tutorial_widgets_in_jupyterlab(lab_server, open_page, artifacts):
    page, errors = open_page(lab_server + "/lab/tree/01_why_federate.ipynb", height=1000, ready=(".jp-Notebook .jp-Cell",))
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    # wait for the kernel, then run every cell through JupyterLab's own command
    page.wait_for_function("() => { const w = window.jupyterapp.shell.currentWidget;"
                           " return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
                           " && w.sessionContext.session.kernel.status === 'idle'; }", timeout=120_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    run = page.locator(".jp-OutputArea .fhai-run")
    run.wait_for(state="attached", timeout=180_000)
    run.scroll_into_view_if_needed()
    page.wait_for_function("() => { const b = document.querySelector('.jp-OutputArea .fhai-run'); return b && !b.disabled; }", timeout=60_000)
    run.click()
    page.wait_for_selector(".jp-OutputArea .fhai-run-status [data-status='done']", timeout=180_000)
    st = page.locator(".jp-OutputArea .fhai-run-status [data-status]").first
    assert st.get_attribute("data-round") == st.get_attribute("data-rounds") == "20"
    page.wait_for_function("() => { const t = document.querySelectorAll('.jp-OutputArea .fhai-live-plot .scatterlayer .trace');"
                           " return t.length == 5 && Array.from(t).every(x => x.querySelectorAll('path.point').length == 20); }",
                           timeout=60_000)
    rows = page.locator(".jp-OutputArea .fhai-session-table tbody tr")
    rows.first.wait_for(timeout=120_000)
    assert rows.count() == 1
    page.locator(".jp-OutputArea .fhai-run-panel").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "jupyterlab_tutorial.png"))
    assert not [e for e in errors if "anywidget" in e or "fhai" in e], errors
