"FederatedClassifier, baselines and compare: sklearn shape, agreement with the engine, bad input."
import copy
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from fhai_nb.core import FhaiError
from fhai_nb.data import load_heart_disease
from fhai_nb.strategies import FedAvg, FedProx
from fhai_nb.engine import run_federated
from fhai_nb.estimator import (FederatedClassifier, PooledClassifier, LocalClassifier, pool_rows_non_private, compare,
                               summarise, plot_comparison, pooled_baseline, local_baselines)

@pytest.fixture(scope="module")
def heart(): return load_heart_disease("flamby")

@pytest.fixture(scope="module")
def fitted(heart): return FederatedClassifier(rounds=3, seed=1).fit(heart)

def test_sklearn_shape(fitted):
    p = fitted.get_params()
    assert p["rounds"] == 3 and p["seed"] == 1
    c = clone(fitted)
    assert not hasattr(c, "params_") and c.get_params()["rounds"] == 3
    assert fitted.set_params(rounds=4) is fitted and fitted.rounds == 4
    fitted.set_params(rounds=3)
    for a in ("history_", "model_", "params_", "preprocessor_", "feature_names_in_", "n_features_in_", "classes_"):
        assert hasattr(fitted, a), a

def test_same_numbers_as_engine(heart, fitted):
    h = run_federated(heart, "logreg", "fedavg", 3, seed=1)
    pd.testing.assert_frame_equal(h.frame, fitted.history_.frame)

def test_strategy_object_not_mutated(heart):
    s = FedProx(mu=0.1)
    before = copy.deepcopy(s.__dict__)
    FederatedClassifier(strategy=s, rounds=2).fit(heart)
    assert s.__dict__.keys() == before.keys() and s.n_samples == before["n_samples"]

def test_predict_proba_raw_frame(heart, fitted):
    df = heart["hungary"].local_frame("test")
    p = fitted.predict_proba(df)
    assert p.shape == (len(df), 2) and np.allclose(p.sum(1), 1)
    # column order of the raw frame does not matter
    assert np.allclose(fitted.predict_proba(df[df.columns[::-1]]), p)

def test_evaluate_matches_history(heart, fitted):
    ev = fitted.evaluate(heart).pivot(index="site", columns="metric", values="value")
    fin = fitted.history_.final("test")
    for s in heart.site_names:
        assert ev.loc[s, "accuracy"] == pytest.approx(fin.loc[s, "accuracy"], abs=1e-9)
        assert ev.loc[s, "brier"] == pytest.approx(fin.loc[s, "brier"], abs=1e-6)

def test_pooled_is_labelled_and_pools(heart):
    f = pool_rows_non_private(heart)
    assert len(f) == 1 and f[0].n_train == 486 and f[0].n_test == 254 and "NON-PRIVATE" in f.name
    assert "NON-PRIVATE" in pool_rows_non_private.__doc__ and "NON-PRIVATE" in PooledClassifier.__doc__

def test_pooled_equals_engine_on_pooled_site(heart):
    pc = pooled_baseline(heart, epochs=2, batch_size=16, lr=0.01, seed=3)
    h = run_federated(pool_rows_non_private(heart), "logreg", "fedavg", 1, local_epochs=2, batch_size=16, lr=0.01,
                      optimizer="adam", preprocess="site", seed=3)
    for k in h.params: assert np.array_equal(h.params[k].numpy(), pc.params_[k].numpy())

def test_local_models_are_separate(heart):
    lc = local_baselines(heart, epochs=2, batch_size=16, lr=0.01)
    w = {s: lc.site_params_[s]["weight"].numpy() for s in heart.site_names}
    assert not np.allclose(w["cleveland"], w["va"])
    # each site's own local model equals a one-site run on that site alone
    from fhai_nb.core import Federation
    h = run_federated(Federation([heart["va"]], heart.schema), "logreg", "fedavg", 1, local_epochs=2, batch_size=16, lr=0.01,
                      optimizer="adam", preprocess="site", seed=0)
    assert np.array_equal(h.params["weight"].numpy(), w["va"])

def test_compare_tidy_and_summary(heart):
    df = compare(heart, {"fedavg": FederatedClassifier(rounds=2), "local": LocalClassifier(epochs=1, batch_size=32)}, seeds=(0, 1))
    assert list(df.columns) == ["method", "seed", "site", "metric", "value"]
    assert set(df.site) >= set(heart.site_names) | {"weighted", "mean", "worst"}
    s = summarise(df)
    row = s[(s.method == "fedavg") & (s.site == "va") & (s.metric == "accuracy")].iloc[0]
    vals = df[(df.method == "fedavg") & (df.site == "va") & (df.metric == "accuracy")].value
    assert row["mean"] == pytest.approx(vals.mean()) and row["n_seeds"] == 2
    # seeds change the numbers, and the same seed reproduces them
    fa = df[(df.method == "fedavg") & (df.metric == "log_loss")]
    assert len(fa[fa.seed == 0]) == len(fa[fa.seed == 1]) > 0
    assert not np.allclose(fa[fa.seed == 0].value.to_numpy(), fa[fa.seed == 1].value.to_numpy())
    again = compare(heart, {"fedavg": FederatedClassifier(rounds=2)}, seeds=(0,))
    pd.testing.assert_frame_equal(again.reset_index(drop=True), df[(df.method == "fedavg") & (df.seed == 0)].reset_index(drop=True))
    fig = plot_comparison(df, "accuracy")
    assert {t.name for t in fig.data} == {"fedavg", "local"}

def test_personal_rows_in_compare(heart):
    df = compare(heart, {"ditto": FederatedClassifier(strategy="ditto", rounds=2)}, seeds=(0,))
    assert set(df.method) == {"ditto", "ditto (personal)"}

@pytest.mark.parametrize("make,msg", [
    (lambda h: FederatedClassifier().fit(h["va"].local_frame("train")), "Federation.from_frame"),
    (lambda h: FederatedClassifier(lr=-1).fit(h), "lr must be a positive number"),
    (lambda h: FederatedClassifier(rounds=0).fit(h), "rounds must be a positive integer"),
    (lambda h: FederatedClassifier(strategy=FedAvg(fraction=1.0), rounds=1, batch_size=0).fit(h), "batch_size must be"),
    (lambda h: FederatedClassifier(strategy="fedmedian2").fit(h), "unknown strategy"),
    (lambda h: FederatedClassifier(preprocess=3).fit(h), "preprocess must be"),
    (lambda h: FederatedClassifier().predict_proba(h["va"].local_frame("test")), "not fitted yet"),
    (lambda h: PooledClassifier(epochs=0).fit(h), "epochs must be a positive integer"),
    (lambda h: LocalClassifier(lr=0).fit(h), "lr must be a positive number"),
    (lambda h: compare(h, {"a": FederatedClassifier()}, seeds=[-1]), "seeds must be"),
    (lambda h: compare(h, {"a": FederatedClassifier()}, split="val"), "split must be"),
    (lambda h: compare(h, []), "non-empty dict"),
    (lambda h: summarise(pd.DataFrame()), "compare() output"),
])
def test_bad_input(heart, make, msg):
    with pytest.raises(FhaiError) as e: make(heart)
    assert msg in str(e.value)

def test_predict_errors(heart, fitted):
    df = heart["va"].local_frame("test")
    with pytest.raises(FhaiError, match="lacks feature column"): fitted.predict_proba(df.drop(columns=["chol"]))
    with pytest.raises(FhaiError, match="DataFrame"): fitted.predict_proba(df.to_numpy())
    with pytest.raises(FhaiError, match="no personalised models"): fitted.predict_proba(df, site="va", personal=True)
    site_scaled = FederatedClassifier(rounds=1, preprocess="site").fit(heart)
    with pytest.raises(FhaiError, match="pass site="): site_scaled.predict_proba(df)
    assert site_scaled.predict_proba(df, site="va").shape == (len(df), 2)

# ---- FLamby recipe ----
from fhai_nb.estimator import flamby_rounds, flamby_methods, flamby_benchmark, flamby_table, markdown_table, FLAMBY_STRATEGIES

def test_flamby_recipe_values():
    assert flamby_rounds() == 15 and flamby_rounds(epochs=100) == 30
    m = flamby_methods()
    assert m["Cyclic"].lr == 0.01 and m["FedAdagrad"].strategy.server_lr == 0.316228 and m["FedProx"].strategy.mu == 0.01
    assert all(m[k].local_steps == 100 and m[k].batch_size == 4 and m[k].optimizer == "sgd" for k in FLAMBY_STRATEGIES)
    pre = m["FedAvg"].preprocess
    assert (pre.scale, pre.ddof, pre.eps, pre.impute, pre.one_hot) == ("site", 1, 1e-9, None, False)

def test_flamby_benchmark_small(heart):
    from fhai_nb.disclosure import DisclosurePolicy
    # FLamby's protocol publishes every per-center statistic; its sites adopt that policy explicitly (tutorials/04 says why)
    df = flamby_benchmark(heart.with_policy(DisclosurePolicy(k=1)), seeds=(42,), strategies=["FedAvg", "Cyclic"])
    t = flamby_table(df)
    assert {"FedAvg", "Cyclic", "Cyclic (FLamby code: Cleveland only)", "Pooled (NON-PRIVATE)",
            "Pooled (NON-PRIVATE), FLamby evaluation", "Local 0 (cleveland)", "Local (own site)"} <= set(t.index)
    # FLamby's pooled-evaluation quirk changes the numbers of the same model
    a = df[(df.method == "Pooled (NON-PRIVATE)") & (df.metric == "accuracy")].value.to_numpy()
    b = df[(df.method == "Pooled (NON-PRIVATE), FLamby evaluation") & (df.metric == "accuracy")].value.to_numpy()
    assert not np.allclose(a, b)
    # the local model of site 0 scored on site 0 equals the own-site row for site 0
    own = df[(df.method == "Local (own site)") & (df.site == "cleveland")].set_index("metric").value
    l0 = df[(df.method == "Local 0 (cleveland)") & (df.site == "cleveland")].set_index("metric").value
    pd.testing.assert_series_equal(own, l0)
    assert "| FedAvg |" in markdown_table(t)

@pytest.mark.parametrize("make,msg", [
    (lambda h: flamby_methods(strategies=["FedSGD"]), "unknown FLamby strategy"),
    (lambda h: flamby_benchmark(h, seeds=()), "seeds must be a non-empty list of non-negative integers"),
    (lambda h: flamby_benchmark(h, seeds=[42, -1]), "seeds must be a non-empty list"),
    (lambda h: flamby_benchmark(h.sites[0].local_frame("train")), "Federation.from_frame"),
    (lambda h: flamby_table(pd.DataFrame({"a": [1]})), "flamby_benchmark"),
])
def test_flamby_bad_input(heart, make, msg):
    with pytest.raises(FhaiError) as e: make(heart)
    assert msg in str(e.value)

def test_site_predictions_feed_metrics(heart, fitted):
    from fhai_nb.metrics import site_metrics
    sp = fitted.site_predictions(heart)
    ev = fitted.evaluate(heart, aggregates=())
    sm = site_metrics(sp).melt(id_vars="site", value_vars=list(ev.metric.unique()), var_name="metric", value_name="value")
    m = ev.merge(sm, on=["site", "metric"])
    assert len(m) == len(ev) and np.allclose(m.value_x, m.value_y, equal_nan=True)
    lc = LocalClassifier(epochs=1, batch_size=64).fit(heart)
    one = lc.site_predictions(heart, model_site="va")
    assert set(one) == set(heart.site_names)
    with pytest.raises(FhaiError, match="no local model"): lc.site_predictions(heart, model_site="mayo")
    with pytest.raises(FhaiError, match="LocalClassifier only"): fitted.site_predictions(heart, model_site="va")

def test_clone_shares_callbacks_and_they_fire(heart):
    seen = []
    class Watcher:
        def __call__(self, ev): seen.append(ev.round)
    w = Watcher()
    c = clone(FederatedClassifier(rounds=2, callbacks=[w]))
    assert c.callbacks[0] is w
    c.fit(heart)
    assert seen == [1, 2]

def test_raw_heart_disease_with_missing_and_categories():
    from fhai_nb.core import DisclosureError
    with pytest.raises(DisclosureError, match=r"\['ca'\] have no released values"):  # 1-4 missing/observed 'ca' at every site
        FederatedClassifier(rounds=1).fit(load_heart_disease("raw"))
    raw = load_heart_disease("raw", exclude=["ca"])
    clf = FederatedClassifier(rounds=2, batch_size=64).fit(raw)
    df = raw["switzerland"].local_frame("test")
    assert df[raw.schema.names].isna().any().any()  # missing values in the raw frame
    p = clf.predict_proba(df)
    assert p.shape == (len(df), 2) and np.isfinite(p).all()
    assert clf.n_features_in_ == len(raw.schema.names) and len(clf.feature_names_out_) > clf.n_features_in_  # one-hot widened


def test_early_stopping_validation_rows_stay_out_of_the_estimators_preprocessing():
    "FederatedClassifier lets the engine fit its preprocessor, so split='val' rows are not in the statistics either."
    from fhai_nb.analytics import FederatedPreprocessor
    from fhai_nb.engine import EarlyStopping, _VAL, rng_for
    from fhai_nb.data import load_heart_disease
    from fhai_nb.disclosure import DisclosurePolicy
    fed = load_heart_disease("flamby").with_policy(DisclosurePolicy(k=1))  # every per-site mean released, to compare them
    user_pre = FederatedPreprocessor(impute=None, scale="site", one_hot=False)
    clf = FederatedClassifier(rounds=2, preprocess=user_pre, executor="sequential",
                              early_stopping=EarlyStopping(patience=5, val_fraction=0.25)).fit(fed)
    assert not hasattr(user_pre, "state_") or getattr(user_pre, "feature_names_out_", None) is None  # the user's object is untouched
    cols = fed.schema.names
    for i, s in enumerate(fed.sites):
        df = s.local_frame("train")
        perm = rng_for(0, _VAL, i).permutation(len(df))
        kept = df.iloc[perm[int(round(0.25 * len(df))):]]
        center = clf.preprocessor_.statistics(site=s.name)["center"][cols].to_numpy(float)
        np.testing.assert_allclose(center, kept[cols].mean().to_numpy(), rtol=1e-9)
        assert not np.allclose(center, df[cols].mean().to_numpy())


# ---- one experiment description ----
def test_settings_are_run_federateds_options():
    "Every engine option (per-call hooks aside) is a setting with the engine's default, and fit hands every setting over."
    import inspect
    from fhai_nb.estimator import _FIT_HOOKS, _NOT_SETTINGS
    eng = {k: p.default for k, p in inspect.signature(run_federated).parameters.items() if k != "fed"}
    est = {k: p.default for k, p in inspect.signature(FederatedClassifier).parameters.items()}
    assert est == {k: v for k, v in eng.items() if k not in _FIT_HOOKS + _NOT_SETTINGS}
    s = FedProx(mu=0.2)
    opts = FederatedClassifier(strategy=s, transforms=(), faults={"dropout": 0.1}).engine_options()
    assert set(opts) == set(est) and opts["strategy"] == s and opts["strategy"] is not s and opts["transforms"] == []


def test_from_config_trains_what_run_trains(heart):
    from fhai_nb.runs import RunConfig, run
    cfg = RunConfig(strategy="scaffold", strategy_kwargs={"server_lr": 0.5}, faults={"stragglers": 0.5},
                    training={"rounds": 2, "local_steps": 5, "batch_size": 8, "lr": 0.02,
                              "preprocess": {"impute": None, "scale": "site", "one_hot": False, "ddof": 1, "eps": 1e-9},
                              "early_stopping": {"patience": 3}}, seed=9)
    clf = FederatedClassifier.from_config(cfg)
    assert clone(clf).get_params()["strategy"].server_lr == 0.5
    a, b = clf.fit(heart).history_, run(cfg)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    for k in a.params: assert torch_equal(a.params[k], b.params[k])
    with pytest.raises(FhaiError, match="did you mean 'fedprox'"): FederatedClassifier.from_config(RunConfig(strategy="fedprocks"))
    with pytest.raises(FhaiError, match="takes a RunConfig"): FederatedClassifier.from_config(cfg.to_dict())


def torch_equal(a, b):
    import torch
    return torch.equal(a, b)


def test_compare_names_moved_but_still_importable():
    import fhai_nb.compare as C
    import fhai_nb.estimator as E
    for n in ("compare", "summarise", "plot_comparison", "flamby_benchmark", "flamby_table", "markdown_table", "FLAMBY_STRATEGIES"):
        assert getattr(E, n) is getattr(C, n), n
    with pytest.raises(AttributeError): E.not_a_name
