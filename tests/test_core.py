"Core mechanics and bad input at the Federation entry points: one test per bad input that issue 2 lists."
import numpy as np
import pandas as pd
import pytest
from fhai_nb.core import (Federation, Schema, Site, Feature, Aggregate, FhaiError, DisclosureError, split_site)


@pytest.fixture
def pooled():
    rng = np.random.default_rng(0)
    n = 120
    return pd.DataFrame(dict(hospital=np.repeat(["A", "B", "C"], n // 3), age=rng.normal(60, 10, n),
                             sex=rng.integers(0, 2, n), cp=rng.choice(["typical", "atypical", "none"], n),
                             y=np.tile([0, 1], n // 2)))


def test_builds_sites_with_private_splits(pooled):
    fed = Federation.from_frame(pooled, "hospital", "y", test_size=0.25, seed=1)
    assert fed.site_names == ["A", "B", "C"]
    assert [(s.n_train, s.n_test) for s in fed] == [(30, 10)] * 3
    assert [f.kind for f in fed.schema.features] == ["numeric", "binary", "categorical"]
    assert "hospital" not in fed["A"].local_frame().columns
    assert "<b>Federation</b>" in fed._repr_html_() and "3 sites" in repr(fed)


def test_split_is_deterministic_and_stratified(pooled):
    a = Federation.from_frame(pooled, "hospital", "y", seed=3)
    b = Federation.from_frame(pooled, "hospital", "y", seed=3)
    for sa, sb in zip(a, b): pd.testing.assert_frame_equal(sa.local_frame("test"), sb.local_frame("test"))
    tr, te = split_site(pooled[pooled.hospital == "A"], "y", 0.25, 0)
    assert te.y.mean() == 0.5  # stratified: both classes have more than 2 rows


def test_missing_target(pooled):
    with pytest.raises(FhaiError, match="target column 'outcome' not found"):
        Federation.from_frame(pooled, "hospital", "outcome")


def test_target_with_missing_labels(pooled):
    bad = pooled.astype({"y": float}); bad.loc[3, "y"] = np.nan
    with pytest.raises(FhaiError, match=r"site 'A'.*missing in 1 row"):
        Federation.from_frame(bad, "hospital", "y")


def test_non_binary_target(pooled):
    with pytest.raises(FhaiError, match=r"must be binary 0/1 .*binarise it"):
        Federation.from_frame(pooled.assign(y=pooled.y * 3), "hospital", "y")


def test_text_target(pooled):
    with pytest.raises(FhaiError, match="map it to 0/1"):
        Federation.from_frame(pooled.assign(y=np.where(pooled.y == 1, "yes", "no")), "hospital", "y")


def test_unknown_site_column(pooled):
    with pytest.raises(FhaiError, match=r"site column 'clinic' not found.*Pass site_col="):
        Federation.from_frame(pooled, "clinic", "y")


def test_site_with_one_row(pooled):
    df = pd.concat([pooled, pooled.iloc[[0]].assign(hospital="D")], ignore_index=True)
    with pytest.raises(FhaiError, match=r"fewer than 4 rows to split into train and test: \{'D': 1\}.*Merge them"):
        Federation.from_frame(df, "hospital", "y")


def test_site_with_one_class(pooled):
    df = pooled.copy(); df.loc[df.hospital == "B", "y"] = 1
    with pytest.raises(FhaiError, match=r"only one outcome class: \{'B': 1\}"):
        Federation.from_frame(df, "hospital", "y")


def test_all_missing_column(pooled):
    with pytest.raises(FhaiError, match=r"column 'age' is missing in every row.*exclude=\['age'\]"):
        Federation.from_frame(pooled.assign(age=np.nan), "hospital", "y")


def test_text_in_numeric_column(pooled):
    df = pooled.astype({"age": object}); df.loc[5, "age"] = "unknown"
    with pytest.raises(FhaiError, match=r"column 'age' is numeric but holds text values \['unknown'\]"):
        Federation.from_frame(df, "hospital", "y")


def test_empty_frame_and_not_a_frame(pooled):
    with pytest.raises(FhaiError, match="empty"): Federation.from_frame(pooled.iloc[:0], "hospital", "y")
    with pytest.raises(FhaiError, match="expected a pandas DataFrame"): Federation.from_frame(pooled.to_dict(), "hospital", "y")


def test_schema_check_names_site_and_column(pooled):
    fed = Federation.from_frame(pooled, "hospital", "y")
    bad = Site("Z", fed["A"].local_frame().drop(columns="sex"))
    with pytest.raises(FhaiError, match=r"site 'Z' lacks column\(s\) \['sex'\]"):
        Federation([*fed.sites, bad], fed.schema)
    with pytest.raises(FhaiError, match="site names must be unique"):
        Federation([fed["A"], fed["A"]], fed.schema)


def test_aggregate_enforces_small_cell_rule(pooled):
    site = Federation.from_frame(pooled, "hospital", "y")["A"]
    agg = site.aggregate("n_pos", lambda d: {"n_pos": int(d.y.sum())})
    assert isinstance(agg, Aggregate) and agg.n == site.n_train and agg.site == "A"
    with pytest.raises(DisclosureError, match="fewer than the minimum of 500"):
        site.aggregate("n_pos", lambda d: {"n_pos": int(d.y.sum())}, min_rows=500)
    with pytest.raises(DisclosureError, match="not frames"):
        site.aggregate("rows", lambda d: {"rows": d.age})


def test_schema_round_trip_and_declared_kinds(pooled):
    s = Schema.infer(pooled, "y", exclude=["hospital"], units={"age": "years"}, kinds={"sex": "categorical"})
    assert s["age"].unit == "years" and s["sex"].kind == "categorical" and s["sex"].categories == (0, 1)
    assert Schema.from_dict(s.to_dict()) == s
    with pytest.raises(FhaiError, match="use one of"): Feature("x", kind="float")
    with pytest.raises(FhaiError, match="twice"): Schema((Feature("a"), Feature("a")), "y")


def test_from_frame_schema_problem_still_names_the_site(pooled):
    "from_frame checks all rows at once; when that fails the sites are checked one by one, so the message names the site."
    schema = Schema.infer(pooled[pooled.hospital != "B"], "y", exclude=["hospital"])
    bad = pooled.copy(); bad.loc[bad.hospital == "B", "cp"] = "unstable"  # a category only site B uses
    with pytest.raises(FhaiError, match=r"site 'B': column 'cp' has categories \['unstable'\] outside the vocabulary"):
        Federation.from_frame(bad, "hospital", "y", schema=schema)
    bad = pooled.copy(); bad.loc[bad.index[-1], "sex"] = 2  # a binary column with a 2, at site C only
    schema = Schema.infer(pooled, "y", exclude=["hospital"])
    with pytest.raises(FhaiError, match=r"site 'C': binary column 'sex' holds values \[2\];"):  # not [np.int64(2)]
        Federation.from_frame(bad, "hospital", "y", schema=schema)
    fed = Federation.from_frame(pooled, "hospital", "y", schema=schema)  # a clean frame: no per-site pass needed
    assert fed.schema is schema and fed.site_names == ["A", "B", "C"]


def test_messages_show_plain_values():
    from fhai_nb.core import check_target
    with pytest.raises(FhaiError, match=r"must be binary 0/1 but holds \[2, 3\];"):  # not [np.int64(2), np.int64(3)]
        check_target(pd.Series([0, 1, 2, 3]), "y", "A")
