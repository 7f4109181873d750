"End to end in real headless Chromium: client-level and record-level DP in the playground's privacy section, epsilon per site live; the privacy dashboard."
import pytest
from fhai_nb.accounting import epsilon_for

pytestmark = pytest.mark.browser

HD = ["cleveland", "hungary", "switzerland", "va"]

def test_playground_client_dp_shows_epsilon_per_site(voila_server, open_page, artifacts):
    page, errors = open_page(voila_server + "/voila/render/playground.ipynb", height=1300)
    assert "Choose client-level or record-level DP" in page.inner_text(".fhai-privacy-live")
    page.get_by_text("Privacy", exact=True).first.click()  # the training panel's Privacy section
    page.wait_for_selector(".fhai-privacy-mode select", state="visible", timeout=30_000)
    page.select_option(".fhai-privacy-mode select", label="Client-level DP")
    page.wait_for_function("() => document.querySelector('.fhai-privacy-summary').innerText.includes('Client-level DP')", timeout=30_000)
    assert page.locator(".fhai-privacy-noise input").is_visible() and page.locator(".fhai-privacy-clip input").is_visible()
    page.click(".fhai-run")
    try:
        page.wait_for_selector(".fhai-run-status [data-status='done']", timeout=120_000)
        page.wait_for_function("() => document.querySelectorAll('.fhai-privacy-epsilon tr[data-site]').length == 4", timeout=30_000)
        page.wait_for_function("() => document.querySelectorAll('.fhai-privacy-rounds [data-round]').length == 10", timeout=30_000)
    finally:
        page.screenshot(path=str(artifacts / "voila_playground_privacy.png"), full_page=True)
    rows = page.eval_on_selector_all(".fhai-privacy-epsilon tr[data-site]", "rs => rs.map(r => [r.dataset.site, +r.dataset.epsilon])")
    assert [s for s, _ in rows] == HD
    want = epsilon_for(1.0, 1.0, 20, 1e-5)  # defaults: noise multiplier 1, 20 rounds, every site every round, delta 1e-5
    assert all(abs(e - want) < 1e-4 * want for _, e in rows), (rows, want)
    page.wait_for_selector(".fhai-session-table tbody tr", timeout=60_000)
    row = page.locator(".fhai-session-table tbody tr").first.inner_text()
    assert "client DP" in row and f"{want:.3f}" in row
    # record-level DP-SGD on the same page: the client-level controls go, each site spends its own epsilon
    page.select_option(".fhai-privacy-mode select", label="Record-level DP (DP-SGD)")
    page.wait_for_function("() => document.querySelector('.fhai-privacy-summary').innerText.includes('Record-level DP-SGD')", timeout=30_000)
    assert page.locator(".fhai-privacy-clip input").is_visible() and not page.locator(".fhai-privacy-noise-mode").is_visible()
    page.click(".fhai-run")
    page.wait_for_function("() => document.querySelectorAll('.fhai-session-table tbody tr').length == 2", timeout=180_000)
    page.wait_for_function("() => document.querySelector('.fhai-privacy-live-message').innerText.includes('record-level DP')", timeout=30_000)
    rows = dict(page.eval_on_selector_all(".fhai-privacy-epsilon tr[data-site]", "rs => rs.map(r => [r.dataset.site, +r.dataset.epsilon])"))
    assert list(rows) == HD and max(rows, key=rows.get) == "switzerland", rows  # the smallest site spends the most
    assert "record DP" in page.locator(".fhai-session-table tbody tr").nth(1).inner_text()
    page.screenshot(path=str(artifacts / "voila_playground_record_dp.png"), full_page=True)
    assert "Traceback" not in page.inner_text("body") and not errors, errors

def test_privacy_dashboard_runs_a_sweep(voila_server, open_page, artifacts):
    page, errors = open_page(voila_server + "/voila/render/privacy.ipynb", height=1200, ready=(".fhai-privacy-app-run",))
    page.fill(".fhai-privacy-app-delta input", "1.5"); page.press(".fhai-privacy-app-delta input", "Enter")
    page.click(".fhai-privacy-app-run")
    page.wait_for_selector(".fhai-privacy-app-status [data-status='error']", timeout=30_000)
    assert "delta must be in (0, 1)" in page.inner_text(".fhai-privacy-app-status")
    page.fill(".fhai-privacy-app-delta input", "0.00001"); page.press(".fhai-privacy-app-delta input", "Enter")
    page.click(".fhai-privacy-app-run")
    try:
        page.wait_for_selector(".fhai-privacy-app-status [data-status='done']", timeout=180_000)
        page.wait_for_selector(".fhai-privacy-app-plot .scatterlayer .trace", timeout=30_000)
    finally:
        page.screenshot(path=str(artifacts / "voila_privacy_dashboard.png"), full_page=True)
    text = page.inner_text(".fhai-privacy-app-table")
    assert "inf (no DP)" in text and "all sites" in text
    assert "Traceback" not in page.inner_text("body") and not errors, errors
