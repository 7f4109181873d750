"Headless: a raw export uploaded to the playground is read, prepared, trained and reported per site; every refusal is a message."
import datetime, os
import numpy as np
import pandas as pd
import pytest
from fhai_nb.messy import icu_extract, messy_exports
from fhai_nb.widgets import FederationState, TrainingState, Experiment, results_warnings, result_coverage, playground_code
from fhai_nb.playground import Playground

def _upload(panel, name: str, data: bytes) -> None:
    "What the browser's FileUpload sends when a file is chosen."
    panel.upload.set_trait("value", ({"name": name, "type": "text/csv", "size": len(data), "content": memoryview(data),
                                      "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},))

def _prepare_icu(pg: Playground) -> None:
    "The steps a participant takes on the raw ICU extract, each checked as the panel shows it."
    fp, st = pg.federation_panel, pg.experiment.federation
    pp = fp.prepare_panel
    _upload(fp, "icu_extract.csv", icu_extract().data)
    assert st.source == "csv" and st.federation is None
    fp.target.value, fp.site_col.value = "status", "hospital_id"
    # reading: the top-coded ages stop it, with the file, column, lines and fix in the findings table
    assert "censored" in st.error and "fhai-prep-findings-table" in pp.findings.value
    assert "line(s) 8, 64, 132" in fp.message.value or "8, 64, 132" in pp.findings.value
    assert pp.prep_box.layout.display == "none"
    pp.censored.value = "bound"
    assert pp.prep_box.layout.display is None and "status" in fp.target.options and "hospital_id" in fp.site_col.options
    # the outcome is text: nothing is mapped until each value has a role
    assert "not 0/1" in st.error and "not 0/1" in fp.message.value
    roles = {d.description.rsplit(" (", 1)[0]: d for d in pp.values.children}
    roles["readmitted"].value = "positive"
    assert "besides positive" in st.error  # 'not readmitted' and 'unknown' left: neither is counted as 0 by default
    roles["unknown"].value = "outcome_missing"
    assert "small" in st.error and "'H07'" in fp.message.value and "'H08'" in fp.message.value
    pp.small_sites.value = "region"
    assert st.error == "" and st.federation is not None


def test_icu_extract_upload_prepare_run_per_site_results():
    pg = Playground(Experiment(training=TrainingState(rounds=3), mode="sync"), warm=False)
    _prepare_icu(pg)
    st, pp = pg.experiment.federation, pg.federation_panel.prepare_panel
    p = st.preparation
    # counted, never recoded: 72 empty outcomes and 23 'unknown' dropped, 23 rows without a hospital dropped
    rows = p.rows_.set_index("step")
    assert rows.loc["missing outcome", "removed"] == 95 and rows.loc["missing site", "removed"] == 23
    assert "72 row(s) have no value in 'status'" in pp.missing.value
    # IDs and clock times are out of the features, each with its reason, and can be kept back
    excluded = dict(zip(p.columns_.column, p.columns_.reason))
    assert excluded["patient_id"] == "identifier" and excluded["admit_time"] == "date/time"
    assert not {"patient_id", "stay_id", "admit_time", "status"} & set(st.federation.schema.names)
    assert sorted(b.description for b in pp._keep_boxes()) == ["admit_time", "patient_id", "stay_id"]
    assert "small: grouped by region" in pp.sites.value and "chol" in pp.notes.value  # H03's all-zero cholesterol is named
    pg.run_panel.run_button.click()
    ex = pg.experiment
    assert ex.run.status == "done", ex.run.message
    comp = ex.session.comparison
    sites = set(st.federation.site_names)
    assert sites <= set(comp.site) and len(sites) == 6  # H07 and H08 joined a regional group
    assert "cover" in pg.results_panel.coverage.value and "fhai-comparison" in " ".join(pg.results_panel.comparison._dom_classes)
    # Show code reproduces read_export + prepare + training exactly
    code = pg.code_panel.show()
    assert "read_export('icu_extract.csv', censored='bound')" in code and "small_sites='region'" in code
    ns = {"__name__": "shown"}
    cwd = os.getcwd()
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "icu_extract.csv"), "wb").write(icu_extract().data)
        os.chdir(d)
        try: exec(code, ns)
        finally: os.chdir(cwd)
    assert ns["fed"].site_names == st.federation.site_names and ns["fed"].schema.names == st.federation.schema.names
    pd.testing.assert_frame_equal(ns["clf"].history_.frame.reset_index(drop=True), ex.run.history.frame.reset_index(drop=True))


def test_keeping_an_excluded_column_back_is_recorded_and_reproduced():
    pg = Playground(Experiment(mode="sync"), warm=False)
    _prepare_icu(pg)
    pp, st = pg.federation_panel.prepare_panel, pg.experiment.federation
    box = [b for b in pp._keep_boxes() if b.description == "admit_time"][0]
    box.value = True
    assert st.keep == ["admit_time"] and "admit_time" in st.federation.schema.names
    assert "keep=['admit_time']" in pg.code_panel.show()
    box = [b for b in pp._keep_boxes() if b.description == "admit_time"][0]
    assert box.value  # redrawn ticked, with its screen reason beside it
    box.value = False
    assert st.keep == [] and "admit_time" not in st.federation.schema.names


@pytest.mark.parametrize("name", sorted(messy_exports()))
def test_each_messy_export_is_read_or_refused_with_a_message(name):
    e = messy_exports()[name]
    ex = Experiment(FederationState(partition="iid", n_sites=2, target="died"), mode="sync")
    pg = Playground(ex, warm=False)
    _upload(pg.federation_panel, e.name, e.data)
    st = ex.federation
    if e.expect == "read":
        assert st.error == "" and st.federation is not None, st.error
        assert len(st.csv_frame()) == len(e.truth)
        said = "\n".join(st.reading.messages())
        for m in e.mentions: assert m in said, (m, said)
        shown = pg.federation_panel.prepare_panel.findings.value
        for f in st.reading.findings.itertuples():  # every finding is a row of the table, with its lines
            assert f.check and (not len(f.lines) or ", ".join(map(str, list(f.lines)[:3])) in shown)
    else:
        assert st.federation is None and "Something went wrong" not in st.error and "Traceback" not in st.error
        msg = pg.federation_panel.message.value.replace("&#x27;", "'")
        for m in e.mentions: assert m in msg, (m, msg)
        if e.fix is not None:  # the fix the message names makes it read
            st.read_options = e.fix
            assert st.error == "" and st.federation is not None, st.error


def test_new_errors_clear_old_messages_and_plots():
    pg = Playground(Experiment(training=TrainingState(rounds=2), mode="sync"), warm=False)
    ex = pg.experiment
    pg.run_panel.run_button.click()
    assert ex.run.status == "done" and ex.session.comparison is not None and len(pg.run_panel.plot.data)
    assert pg.federation_panel.preview_table is not None and "<tr>" in pg.federation_panel.bars.value
    _upload(pg.federation_panel, "bad.csv", messy_exports()["footer_note.csv"].data)
    assert ex.federation.error and "line(s) 62" in pg.federation_panel.message.value
    assert ex.run.frame is None and ex.session.comparison is None and ex.run.message == ""
    assert pg.results_panel.comparison.value == "" and pg.results_panel.warnings.value == ""
    assert all(len(t.x) == 0 for t in pg.run_panel.plot.data) and pg.federation_panel.bars.value == ""
    assert pg.federation_panel.summary.value == "" and pg.federation_panel.prepare_panel.rows.value == ""
    assert len(ex.session.runs) == 1  # the session's table of past runs stays
    pg.run_panel.run_button.click()
    assert ex.run.status == "error" and "No federation to train" in ex.run.message


def _comp(rows):
    return pd.DataFrame([(meth, s, m, v) for meth, s, acc, bal, auc in rows
                         for m, v in (("accuracy", acc), ("balanced_accuracy", bal), ("auroc", auc))], columns=["method", "site", "metric", "value"])

def test_results_say_what_aggregates_cover_and_warn():
    comp = _comp([("federated (FedAvg)", "big", .80, .78, .85), ("federated (FedAvg)", "tiny", 1.0, np.nan, np.nan),
                  ("federated (FedAvg)", "weighted", .81, .78, .85), ("local only", "big", .92, .50, .60),
                  ("local only", "tiny", 1.0, np.nan, np.nan), ("local only", "weighted", .92, .50, .60)])
    cov = result_coverage(comp, "auroc")
    assert cov[["method", "sites", "covered"]].values.tolist() == [["federated (FedAvg)", 2, 1], ["local only", 2, 1]]
    ws = results_warnings(comp, {"big": 200, "tiny": 3})
    assert any("cover 1 of 2 sites" in w and "tiny" in w for w in ws)
    assert any("one outcome class" in w and "tiny" in w for w in ws)
    assert any("fewer than 20 test rows" in w and "tiny: 3" in w for w in ws)
    one = [w for w in ws if "predicts (almost) one class" in w]
    assert len(one) == 1 and one[0].startswith("local only") and "accuracy 0.92 but balanced accuracy 0.50" in one[0]
    clean = _comp([("federated (FedAvg)", "a", .8, .75, .8), ("federated (FedAvg)", "weighted", .8, .75, .8)])
    assert results_warnings(clean, {"a": 50}) == []


def test_results_panel_warns_after_a_run_on_a_rare_outcome():
    "FedAvg's default run on a rare outcome (15% readmitted) predicts nobody is readmitted: accuracy looks fine, balanced accuracy is 0.5."
    pg = Playground(Experiment(training=TrainingState(rounds=20), mode="sync"), warm=False)
    _prepare_icu(pg)
    pg.run_panel.run_button.click()
    ex = pg.experiment
    assert ex.run.status == "done", ex.run.message
    w = ex.session.comparison
    fed = w[(w.site == "weighted") & (w.method.str.startswith("federated"))].set_index("metric").value
    assert fed["balanced_accuracy"] == pytest.approx(0.5, abs=0.05) and fed["accuracy"] > 0.7, fed
    text = pg.results_panel.warnings.value
    assert "predicts (almost) one class" in text and "federated (FedAvg)" in text
    assert ex.session.test_sizes and all(n > 0 for n in ex.session.test_sizes.values())
