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

def test_clinical_statistics_in_the_playground(voila_server, open_page, artifacts):
    "The folded statistics section: a federated logistic regression with its forest plot, Kaplan-Meier curves and a log-rank test, a Cox model."
    page, errors = open_page(voila_server + "/voila/render/playground.ipynb")
    page.get_by_text("7. Clinical statistics").click()
    page.wait_for_selector(".fhai-stats-fit", timeout=60_000)
    page.click(".fhai-stats-fit")
    page.wait_for_selector(".fhai-stats-table table tbody tr", timeout=120_000)
    terms = page.eval_on_selector_all(".fhai-stats-table table tbody tr th", "els => els.map(e => e.innerText.trim())")
    assert "Intercept" in terms and len(terms) >= 3, terms
    assert "odds ratio" in page.inner_text(".fhai-stats-table").lower()
    page.wait_for_selector(".fhai-stats-forest .scatterlayer .trace", timeout=60_000)
    page.get_by_text("Survival", exact=True).click()
    page.click(".fhai-stats-km-fit")
    page.wait_for_selector(".fhai-stats-logrank table tbody tr", timeout=120_000)
    page.wait_for_selector(".fhai-stats-km .scatterlayer .trace", timeout=60_000)
    msg = page.inner_text(".fhai-stats-km-message")
    assert "Log-rank test across the sites" in msg and "p = " in msg, msg
    assert page.locator(".fhai-stats-logrank table tbody tr").count() == 6  # TCGA-BRCA's six regions, observed and expected events
    page.get_by_text("Cox model", exact=True).click()
    page.click(".fhai-stats-cox-fit")
    page.wait_for_selector(".fhai-stats-cox-table table tbody tr", timeout=120_000)
    assert "hazard ratio" in page.inner_text(".fhai-stats-cox-table")
    page.wait_for_selector(".fhai-stats-cox-forest .scatterlayer .trace", timeout=60_000)
    assert "a baseline hazard per site" in page.inner_text(".fhai-stats-cox-message")
    page.screenshot(path=str(artifacts / "voila_statistics.png"), full_page=True)
    assert "Traceback" not in page.inner_text("body") and not errors, errors
