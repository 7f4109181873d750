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

def test_playground_in_voila(voila_server, browser, artifacts):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(voila_server + "/voila/render/playground.ipynb", timeout=180_000)
    page.wait_for_selector(".fhai-run", timeout=180_000)
    page.wait_for_selector(".fhai-fed-summary table", timeout=60_000)
    usable = time.perf_counter() - t0
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
    assert not errors, errors
