"The dashboards no other browser test opens, in Voila: the heterogeneity explorer and Why federate? (both draw plotly figures through the lazy renderer)."
import pytest

pytestmark = pytest.mark.browser

def test_heterogeneity_explorer_in_voila(voila_server, open_page, artifacts):
    page, errors = open_page(voila_server + "/voila/render/heterogeneity.ipynb",
                             ready=(".fhai-fed-bars tr", ".fhai-heterogeneity-report table"))
    assert page.locator(".fhai-fed-bars tr").count() == 6  # six synthetic hospitals' prevalence, drawn as HTML
    assert page.locator(".fhai-heterogeneity-report table tbody tr").count() == 6
    page.select_option(".fhai-preview-view select", "sizes")
    page.wait_for_function("() => document.querySelector('.fhai-fed-bars').innerText.includes('Rows per site')", timeout=30_000)
    page.select_option(".fhai-preview-view select", "creatinine")  # a feature: per-site histograms, a plotly figure
    page.wait_for_selector(".fhai-fed-preview .scatterlayer .trace", timeout=60_000)
    assert page.locator(".fhai-fed-preview .scatterlayer .trace").count() == 6
    assert "creatinine by site" in page.inner_text(".fhai-fed-preview")
    page.screenshot(path=str(artifacts / "voila_heterogeneity.png"), full_page=True)
    assert "Traceback" not in page.inner_text("body") and not errors, errors

def test_why_federate_in_voila(voila_server, open_page, artifacts):
    page, errors = open_page(voila_server + "/voila/render/why_federate.ipynb", ready=(".fhai-compare",))
    page.click(".fhai-compare")
    page.wait_for_selector(".fhai-why-plot .barlayer .trace", timeout=180_000)
    assert page.locator(".fhai-why-plot .barlayer .trace").count() == 3  # FedAvg, pooled and local only
    rows = page.eval_on_selector_all(".fhai-why-table table tbody tr th", "els => els.map(e => e.innerText.trim())")
    assert rows == ["FedAvg", "pooled (non-private)", "local only"], rows
    assert "Done" in page.inner_text(".fhai-why-status")
    page.screenshot(path=str(artifacts / "voila_why_federate.png"), full_page=True)
    assert "Traceback" not in page.inner_text("body") and not errors, errors
