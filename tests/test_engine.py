"Engine tests: exactness against centralised training, SCAFFOLD's fixed point, robustness to Byzantine sites, determinism, resume, faults, bad input."
import math
import threading
import numpy as np
import pandas as pd
import pytest
import torch

from fhai_nb.core import FhaiError, Federation
from fhai_nb.engine import (Checkpoint, ClipNorm, EarlyStopping, Faults, History, SequentialExecutor, batch_plan, run_federated,
                            site_plan)
from fhai_nb.learners import LogisticRegression, MLP, TorchModel, bce_loss
from fhai_nb.strategies import (Cyclic, Ditto, FedAdam, FedAvg, FedMedian, FedProx, FineTune, Krum, Scaffold, TrimmedMean)


def toy(n_sites=3, n=200, d=5, seed=0, shift=0.0, flip=0.0):
    "Numeric federation: logistic outcome from a shared w; site i's features shifted by shift*i."
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d) * 1.5
    frames = []
    for i in range(n_sites):
        X = rng.normal(size=(n, d)) + shift * i
        y = (X @ w + rng.logistic(size=n) > 0).astype(int)
        df = pd.DataFrame(X, columns=[f"x{j}" for j in range(d)])
        df["y"], df["site"] = y, f"h{i}"
        frames.append(df)
    return Federation.from_frame(pd.concat(frames, ignore_index=True), "site", "y", seed=seed)


def site_tensors(fed, name):
    d = fed[name].local_frame("train")
    X = torch.from_numpy(np.array(d[fed.schema.names].to_numpy(np.float32), order="C"))
    return X, torch.from_numpy(d[fed.schema.target].to_numpy(np.float32).copy())


SEQ = dict(preprocess=None, executor="sequential")


# ---------------------------------------------------------------- exactness
@pytest.mark.parametrize("mode", [dict(local_steps=5), dict(local_epochs=3)])
def test_fedavg_one_site_full_batch_equals_centralised_exactly(mode):
    fed = toy(1, n=180, seed=2)
    h = run_federated(fed, "logreg", "fedavg", rounds=4, batch_size=None, lr=0.3, seed=7, **mode, **SEQ)
    m = LogisticRegression().init(5, seed=7)
    X, y = site_tensors(fed, "h0")
    opt = torch.optim.SGD(m.parameters(), lr=0.3)
    for _ in range(4 * mode.get("local_steps", mode.get("local_epochs"))):
        opt.zero_grad(); bce_loss(m(X), y).backward(); opt.step()
    for k, v in m.named_parameters():
        assert torch.equal(h.params[k], v.detach()), k


def test_fedavg_one_site_minibatch_follows_the_batch_plan():
    "With minibatches the same holds step for step when the centralised loop reads the engine's batch plan."
    fed = toy(1, n=100, seed=3)
    h = run_federated(fed, "logreg", "fedavg", rounds=3, local_steps=7, batch_size=16, lr=0.1, seed=1, **SEQ)
    m = LogisticRegression().init(5, seed=1)
    X, y = site_tensors(fed, "h0")
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    n = len(y)
    for r in range(1, 4):
        plan = site_plan(*batch_plan(1, r, [0], [n], 16, steps=7, offset=[7 * (r - 1)]), 0)
        for row in plan:
            idx = torch.from_numpy(row[row >= 0])
            opt.zero_grad(); bce_loss(m(X[idx]), y[idx]).backward(); opt.step()
    for k, v in m.named_parameters():
        torch.testing.assert_close(h.params[k], v.detach(), rtol=0, atol=1e-6)


# ---------------------------------------------------------------- SCAFFOLD
def pooled_optimum(fed):
    Xs, ys = zip(*(site_tensors(fed, s) for s in fed.site_names))
    X, y = torch.cat(Xs), torch.cat(ys)
    m = LogisticRegression().init(X.shape[1], 0).double()
    opt = torch.optim.LBFGS(m.parameters(), lr=1, max_iter=1000, tolerance_grad=1e-14, tolerance_change=1e-16, history_size=50)
    def closure():
        opt.zero_grad(); loss = bce_loss(m(X.double()), y.double()); loss.backward(); return loss
    opt.step(closure)
    return torch.cat([m.weight.detach().ravel(), m.bias.detach()]), (X, y)


def flat(p): return torch.cat([p["weight"].ravel(), p["bias"]]).double()


def test_scaffold_reaches_the_pooled_optimum_where_fedavg_drifts():
    """SCAFFOLD (Karimireddy et al. 2020): with control variates the fixed point of local SGD + averaging is the optimum of
    the pooled loss, whatever the heterogeneity and the number of local steps; FedAvg's fixed point is biased."""
    fed = toy(3, n=150, d=3, seed=4, shift=1.2)
    x_star, (X, y) = pooled_optimum(fed)
    kw = dict(rounds=150, local_steps=25, batch_size=None, lr=0.2, seed=0, eval_every=150, **SEQ)
    fa = run_federated(fed, "logreg", "fedavg", **kw)
    sc_strategy = Scaffold()
    sc = run_federated(fed, "logreg", sc_strategy, **kw)
    err_fa, err_sc = float((flat(fa.params) - x_star).norm()), float((flat(sc.params) - x_star).norm())
    assert err_fa > 0.02, err_fa  # client drift: FedAvg settles elsewhere
    assert err_sc < 2e-4, err_sc  # SCAFFOLD settles at the pooled optimum
    # at the fixed point the server variate c (the sample-weighted mean of the c_i, which estimate each site's
    # gradient) is the pooled gradient, which is zero at the optimum
    c = torch.cat([sc_strategy.c["weight"].ravel(), sc_strategy.c["bias"]])
    assert float(c.norm()) < 1e-3
    # ... while the sites' own gradients at the optimum are far from zero (they disagree): that is what c_i corrects
    m = LogisticRegression().init(3, 0)
    with torch.no_grad():
        m.weight.copy_(x_star[:3].float().reshape(1, 3)); m.bias.copy_(x_star[3:].float())
    g = []
    for s in fed.site_names:
        Xs, ys = site_tensors(fed, s)
        m.zero_grad(); bce_loss(m(Xs), ys).backward()
        g.append(float(torch.cat([m.weight.grad.ravel(), m.bias.grad]).norm()))
    assert min(g) > 10 * float(c.norm()) and max(g) > 0.02


# ---------------------------------------------------------------- robustness
def _auroc(h):
    return h.final("test").loc["weighted", "auroc"]


def test_robust_strategies_withstand_sign_flipping_sites():
    fed = toy(10, n=120, d=6, seed=11)
    kw = dict(rounds=12, local_epochs=1, batch_size=32, lr=0.1, seed=3, eval_every=12, **SEQ)
    faults = Faults(byzantine=0.2, attack="sign_flip", scale=5.0)
    clean = _auroc(run_federated(fed, "logreg", FedAvg(), **kw))
    attacked = {name: _auroc(run_federated(fed, "logreg", s, faults=faults, **kw))
                for name, s in [("fedavg", FedAvg()), ("median", FedMedian()), ("trimmed", TrimmedMean(beta=0.2)), ("krum", Krum(f=2))]}
    assert clean > 0.85
    assert attacked["fedavg"] < clean - 0.2, attacked
    for name in ("median", "trimmed", "krum"):
        assert attacked[name] > clean - 0.03, (name, attacked[name], clean)


def test_robust_strategies_withstand_sign_flipping_on_synthetic_hospitals():
    "The same on fhai_nb.synthetic's EHR-like hospitals (categorical and binary features, federated preprocessing)."
    from fhai_nb.synthetic import synthetic_federation
    fed = synthetic_federation(10, seed=0, n_rows=300)
    kw = dict(rounds=10, batch_size=32, lr=0.1, seed=3, eval_every=10, executor="sequential")
    faults = Faults(byzantine=0.2, attack="sign_flip", scale=5.0)
    clean = _auroc(run_federated(fed, "logreg", FedAvg(), **kw))
    attacked = {name: _auroc(run_federated(fed, "logreg", s, faults=faults, **kw))
                for name, s in [("fedavg", FedAvg()), ("median", FedMedian()), ("trimmed", TrimmedMean(beta=0.2)), ("krum", Krum(f=2))]}
    assert clean > 0.7
    assert attacked["fedavg"] < clean - 0.3, attacked
    for name in ("median", "trimmed", "krum"):
        assert attacked[name] > clean - 0.05, (name, attacked[name], clean)


def test_byzantine_sites_are_fixed_and_logged():
    fed = toy(10, n=60, seed=1)
    h = run_federated(fed, "logreg", "fedavg", rounds=3, faults=Faults(byzantine=0.2), seed=5, **SEQ)
    byz = h.log.byzantine.tolist()
    assert byz[0] == byz[1] == byz[2] and len(byz[0].split(",")) == 2


def test_label_flipping_hurts_only_through_training():
    fed = toy(5, n=100, seed=2)
    kw = dict(rounds=8, lr=0.2, seed=0, eval_every=8, **SEQ)
    clean = run_federated(fed, "logreg", "fedavg", **kw)
    flipped = run_federated(fed, "logreg", "fedavg", faults=Faults(byzantine=0.6, attack="label_flip"), **kw)
    assert _auroc(flipped) < _auroc(clean) - 0.3


# ---------------------------------------------------------------- determinism, resume
def test_same_config_and_seed_give_identical_histories():
    fed = toy(4, n=90, seed=5)
    kw = dict(rounds=4, local_epochs=2, batch_size=16, lr=0.1, seed=9, faults=Faults(dropout=0.2, stragglers=0.3, byzantine=0.25, attack="random"),
              transforms=[ClipNorm(2.0)], **SEQ)
    a = run_federated(fed, MLP((8,)), FedProx(mu=0.1, fraction=0.75), **kw)
    b = run_federated(fed, MLP((8,)), FedProx(mu=0.1, fraction=0.75), **kw)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.log.drop(columns="seconds"), b.log.drop(columns="seconds"))
    for k in a.params: assert torch.equal(a.params[k], b.params[k])
    c = run_federated(fed, MLP((8,)), FedProx(mu=0.1, fraction=0.75), **{**kw, "seed": 10})
    assert not c.frame.value.equals(a.frame.value)


def test_dropout_layers_are_deterministic_too():
    fed = toy(2, n=80, seed=6)
    a = run_federated(fed, MLP((8,), dropout=0.3), "fedavg", rounds=2, seed=1, **SEQ)
    b = run_federated(fed, MLP((8,), dropout=0.3), "fedavg", rounds=2, seed=1, **SEQ)
    pd.testing.assert_frame_equal(a.frame, b.frame)


@pytest.mark.parametrize("strategy,extra", [(Scaffold(), dict(local_steps=3)), (Ditto(lam=0.5), dict(local_steps=4)),
                                             (FedAdam(server_lr=0.05), dict()), (Cyclic(), dict(local_steps=3))])
def test_resume_from_checkpoint_equals_running_straight_through(tmp_path, strategy, extra):
    import copy
    fed = toy(3, n=70, seed=8)
    kw = dict(lr=0.1, batch_size=16, seed=2, faults=Faults(dropout=0.2, stragglers=0.3), **extra, **SEQ)
    straight = run_federated(fed, "logreg", copy.deepcopy(strategy), rounds=6, **kw)
    stops = iter([False, False, True])
    first = run_federated(fed, "logreg", copy.deepcopy(strategy), rounds=6, checkpoint=Checkpoint(tmp_path, every=1),
                          should_stop=lambda: next(stops), **kw)
    assert first.stopped == "should_stop" and first.rounds == 3
    resumed = run_federated(fed, "logreg", copy.deepcopy(strategy), rounds=6, checkpoint=Checkpoint(tmp_path, every=1), **kw)
    pd.testing.assert_frame_equal(resumed.frame, straight.frame)
    for k in straight.params: assert torch.equal(resumed.params[k], straight.params[k])
    for s in straight.personal:
        for k in straight.personal[s]: assert torch.equal(resumed.personal[s][k], straight.personal[s][k])


def test_checkpoint_refuses_other_settings(tmp_path):
    fed = toy(2, n=50)
    run_federated(fed, "logreg", "fedavg", rounds=2, checkpoint=tmp_path, **SEQ)
    with pytest.raises(FhaiError, match="different settings"):
        run_federated(fed, "logreg", "fedavg", rounds=2, lr=0.2, checkpoint=tmp_path, **SEQ)


# ---------------------------------------------------------------- events, stopping
def test_callbacks_should_stop_and_early_stopping():
    fed = toy(3, n=80, seed=1)
    seen = []
    ev = threading.Event()
    def cb(e):
        seen.append((e.round, e.rounds, len(e.frame_rows)))
        if e.round == 2: ev.set()
    h = run_federated(fed, "logreg", "fedavg", rounds=10, callbacks=[cb], should_stop=ev, **SEQ)
    assert [s[0] for s in seen] == [1, 2] and h.stopped == "should_stop" and h.rounds == 2
    assert all(n > 0 for _, _, n in seen)
    # with min_delta larger than any possible improvement, patience 2 stops at round 3 and keeps round 1's model
    es = run_federated(fed, "logreg", "fedavg", rounds=30, lr=0.01, early_stopping=EarlyStopping(patience=2, min_delta=10.0), **SEQ)
    assert es.stopped == "early_stopping" and es.rounds == 3 and es.best_round == 1
    assert "val" in set(es.frame.split)
    # restore_best returns round 1's parameters
    ref = run_federated(fed, "logreg", "fedavg", rounds=1, lr=0.01, early_stopping=EarlyStopping(patience=2, min_delta=10.0), **SEQ)
    for k in ref.params: assert torch.equal(es.params[k], ref.params[k])


def test_history_frame_shape_and_aggregates():
    fed = toy(3, n=80, seed=1)
    h = run_federated(fed, "logreg", "fedavg", rounds=3, eval_every=2, **SEQ)
    f = h.frame
    assert list(f.columns) == ["round", "site", "split", "metric", "value", "n_sites"]
    assert (f[f.site.isin(fed.site_names)].n_sites == 1).all()  # a site's own row covers that site
    assert (f[f.site.isin(["weighted", "mean", "worst"]) & (f.split == "test")].n_sites == 3).all()  # every site defines every metric here
    assert sorted(f[f.split == "test"]["round"].unique()) == [2, 3]  # every eval_every rounds and the last
    assert {"auroc", "auprc", "accuracy", "balanced_accuracy", "brier", "ece", "loss"} <= set(f.metric)
    t = f[(f["round"] == 3) & (f.split == "test") & (f.metric == "loss")].set_index("site").value
    sizes = {s.name: s.n_test for s in fed}
    w = sum(t[s] * n for s, n in sizes.items()) / sum(sizes.values())
    assert math.isclose(t["weighted"], w, rel_tol=1e-12)
    assert math.isclose(t["mean"], np.mean([t[s] for s in sizes]), rel_tol=1e-12)
    assert t["worst"] == max(t[s] for s in sizes)
    acc = f[(f["round"] == 3) & (f.split == "test") & (f.metric == "accuracy")].set_index("site").value
    assert acc["worst"] == min(acc[s] for s in sizes)


# ---------------------------------------------------------------- faults and transforms
def test_dropout_and_stragglers():
    fed = toy(6, n=64, seed=3)
    h = run_federated(fed, "logreg", "fedavg", rounds=10, local_steps=10, batch_size=8,
                      faults=Faults(dropout=0.3, stragglers=0.5, straggler_work=0.3), seed=4, **SEQ)
    dropped = sum(len(x.split(",")) for x in h.log.dropped if x)
    strag = sum(len(x.split(",")) for x in h.log.stragglers if x)
    assert 5 < dropped < 35 and strag > 5
    assert (h.log.n_updates == 6 - h.log.dropped.map(lambda x: len(x.split(",")) if x else 0)).all()


def test_straggler_does_fewer_steps():
    fed = toy(1, n=64, seed=3)
    steps = []
    class Spy(SequentialExecutor):
        def train(self, module, starts, data, tasks):
            steps.append([t.steps for t in tasks]); return super().train(module, starts, data, tasks)
    run_federated(fed, "logreg", "fedavg", rounds=1, local_steps=10, executor=Spy(), preprocess=None,
                  faults=Faults(stragglers=0.999, straggler_work=0.3))
    assert steps == [[3]]


def test_clip_norm_bounds_each_round_move():
    fed = toy(4, n=80, seed=2)
    moves = []
    prev = {}
    def cb(e):
        if prev: moves.append(math.sqrt(sum(float(((e.params[k] - prev[k]) ** 2).sum()) for k in prev)))
        prev.update(e.params)
    run_federated(fed, "logreg", "fedavg", rounds=5, lr=0.5, transforms=[ClipNorm(0.01)], callbacks=[cb], **SEQ)
    assert max(moves) <= 0.01 + 1e-6 and min(moves) > 0.005


def test_personalisation_rows():
    fed = toy(3, n=80, seed=2, shift=0.8)
    d = run_federated(fed, "logreg", Ditto(lam=0.1), rounds=3, **SEQ)
    assert {"personal_train", "personal_test"} <= set(d.frame.split) and set(d.personal) == set(fed.site_names)
    ft = run_federated(fed, "logreg", "fedavg", rounds=3, personalise=FineTune(epochs=2), **SEQ)
    pt = ft.frame[ft.frame.split == "personal_test"]
    assert set(pt["round"]) == {3} and set(fed.site_names) <= set(pt.site)
    # fine-tuning on a site's own rows lowers that site's training loss
    tr = ft.frame[(ft.frame["round"] == 3) & (ft.frame.metric == "loss") & ft.frame.split.isin(["train", "personal_train"])]
    piv = tr.pivot_table(index="site", columns="split", values="value")
    assert (piv.loc[fed.site_names, "personal_train"] < piv.loc[fed.site_names, "train"]).all()


def test_cyclic_passes_the_model_from_site_to_site():
    fed = toy(3, n=60, seed=9)
    h = run_federated(fed, "logreg", Cyclic(), rounds=6, local_steps=2, batch_size=None, lr=0.3, seed=1, **SEQ)
    visits = h.log.selected.tolist()
    assert sorted(visits[:3]) == sorted(visits[3:]) == sorted(fed.site_names)
    m = LogisticRegression().init(5, seed=1)
    opt = torch.optim.SGD(m.parameters(), lr=0.3)
    for s in visits:
        X, y = site_tensors(fed, s)
        for _ in range(2):
            opt.zero_grad(); bce_loss(m(X), y).backward(); opt.step()
    for k, v in m.named_parameters():
        torch.testing.assert_close(h.params[k], v.detach(), rtol=0, atol=1e-6)


def test_adam_and_momentum_run():
    fed = toy(2, n=80, seed=2)
    a = run_federated(fed, "logreg", "fedavg", rounds=3, optimizer="adam", lr=0.01, **SEQ)
    b = run_federated(fed, "logreg", "fedavg", rounds=3, momentum=0.9, weight_decay=1e-3, **SEQ)
    assert a.curve("loss").iloc[-1] < a.curve("loss").iloc[0] and b.curve("loss").iloc[-1] < b.curve("loss").iloc[0]


def test_preprocess_federated_with_categorical_and_missing_data():
    from fhai_nb.synthetic import synthetic_federation
    fed = synthetic_federation(3, seed=0, n_rows=150, mcar=0.1)
    h = run_federated(fed, "logreg", "fedavg", rounds=2, executor="sequential", seed=0)
    assert h.config["n_features"] >= len(fed.schema.names)
    assert np.isfinite(h.frame.value).all()
    with pytest.raises(FhaiError, match="categorical|missing"):
        run_federated(fed, "logreg", "fedavg", rounds=1, preprocess=None)


# ---------------------------------------------------------------- bad input: one test each, nothing runs
class Recorder:
    def __init__(self): self.calls = 0
    def __call__(self, e): self.calls += 1


@pytest.fixture
def fed3(): return toy(3, n=50)


def _refuses(fed, match, tmp_path, **kw):
    rec = Recorder()
    ck = tmp_path / "ck"
    with pytest.raises(FhaiError, match=match):
        run_federated(fed, **{**dict(model="logreg", strategy="fedavg", rounds=2, preprocess=None, callbacks=[rec], checkpoint=ck), **kw})
    assert rec.calls == 0 and not ck.exists()  # no partial run


def test_bad_lr(fed3, tmp_path):
    _refuses(fed3, r"lr must be a positive number, got 0", tmp_path, lr=0)
    _refuses(fed3, r"lr must be a positive number, got -0.1", tmp_path, lr=-0.1)


def test_bad_fraction(fed3, tmp_path):
    with pytest.raises(FhaiError, match=r"fraction must be a number in \(0, 1\], got 1.5"): FedAvg(fraction=1.5)
    with pytest.raises(FhaiError, match=r"fraction must be a number in \(0, 1\], got 0"): FedProx(fraction=0.0)
    _refuses(fed3, r"fraction must be", tmp_path, strategy=dict(name="fedavg", fraction=2))


def test_zero_rounds(fed3, tmp_path):
    _refuses(fed3, r"rounds must be a positive integer, got 0", tmp_path, rounds=0)


def test_model_output_shape_not_fitting_the_target(fed3, tmp_path):
    _refuses(fed3, r"one logit per row", tmp_path, model=TorchModel(lambda n: torch.nn.Linear(n, 2)))
    _refuses(fed3, r"must take 5 inputs", tmp_path, model=TorchModel(lambda n: torch.nn.Linear(n + 1, 1)))


def test_strategy_option_that_does_not_exist(fed3, tmp_path):
    with pytest.raises(FhaiError, match=r"FedProx has no option\(s\) \['mu_'\]; valid options are \['mu', 'fraction', 'min_sites'\]"):
        FedProx(mu_=0.1)
    _refuses(fed3, r"Krum has no option\(s\) \['byzantine'\]", tmp_path, strategy=dict(name="krum", byzantine=1))


def test_federation_with_fewer_sites_than_the_strategy_needs(fed3, tmp_path):
    _refuses(fed3, r"needs at least 5 sites per round but this federation of 3 sites gives 3", tmp_path, strategy=Krum(f=1))
    _refuses(fed3, r"needs at least 4 sites but the federation has 3", tmp_path, strategy=FedAvg(min_sites=4))


def test_other_bad_settings(fed3, tmp_path):
    _refuses(fed3, r"batch_size must be a positive integer", tmp_path, batch_size=0)
    _refuses(fed3, r"optimizer must be 'sgd' or 'adam'", tmp_path, optimizer="rmsprop")
    _refuses(fed3, r"executor must be", tmp_path, executor="gpu")
    _refuses(fed3, r"unknown strategy 'fedsgd'", tmp_path, strategy="fedsgd")
    _refuses(fed3, r"local_steps must be a positive integer", tmp_path, local_steps=0)
    _refuses(fed3, r"metric 'auc' is not one the run reports; choose one of \['loss', 'auroc'", tmp_path, early_stopping=dict(metric="auc"))
    _refuses(fed3, r"site 'nowhere' is neither an aggregate", tmp_path, early_stopping=dict(site="nowhere"))


def test_a_run_stopped_between_evaluations_still_reports_its_final_model():
    fed = toy(2, n=60)
    h = run_federated(fed, "logreg", "fedavg", rounds=10, eval_every=5, should_stop=lambda: True, **SEQ)
    assert h.rounds == 1 and set(h.frame[h.frame.split == "test"]["round"]) == {1}


def test_custom_transforms_site_and_server_sides_and_ledger():
    from fhai_nb.engine import Transform
    from fhai_nb.core import Update
    seen = []

    class SiteNoise(Transform):
        name = "site_noise"
        def site(self, u, ctx):
            seen.append((ctx.round, ctx.site, ctx.site_index))
            z = float(ctx.rng.normal())  # seeded per (seed, transform, round, site)
            ctx.ledger.append(dict(round=ctx.round, site=ctx.site, z=z))
            return Update(u.site, u.n_samples, {k: v + 0.0 * z for k, v in u.params.items()}, u.metrics, u.extras)

    class Freeze(Transform):
        name = "freeze"
        def server(self, updates, ctx):
            assert ctx.n_updates == len(updates)
            return [Update(u.site, u.n_samples, {k: v * 0 for k, v in u.params.items()}) for u in updates]

    fed = toy(3, n=40, seed=1)
    h = run_federated(fed, "logreg", "fedavg", rounds=2, transforms=[SiteNoise(), Freeze()], **SEQ)
    init = LogisticRegression().init(5, seed=0)
    for k, v in init.named_parameters(): assert torch.equal(h.params[k], v.detach())  # the server side zeroed every delta
    assert sorted(seen) == [(r, s, i) for r in (1, 2) for i, s in enumerate(fed.site_names)]
    assert list(h.ledger.columns) == ["round", "site", "z"] and len(h.ledger) == 6
    again = run_federated(fed, "logreg", "fedavg", rounds=2, transforms=[SiteNoise(), Freeze()], **SEQ)
    pd.testing.assert_frame_equal(h.ledger, again.ledger)


def test_preprocess_options():
    from fhai_nb.analytics import FederatedPreprocessor
    from fhai_nb.synthetic import synthetic_federation
    fed = synthetic_federation(3, seed=1, n_rows=120)
    site = run_federated(fed, "logreg", "fedavg", rounds=1, preprocess="site", executor="sequential")
    pre = FederatedPreprocessor(scale="site").fit(fed)
    given = run_federated(fed, "logreg", "fedavg", rounds=1, preprocess=pre, executor="sequential")
    pd.testing.assert_frame_equal(site.frame, given.frame)
    unfitted = FederatedPreprocessor()
    run_federated(fed, "logreg", "fedavg", rounds=1, preprocess=unfitted, executor="sequential")
    assert unfitted.feature_names_out_ is not None
    with pytest.raises(FhaiError, match="preprocess must be"):
        run_federated(fed, "logreg", "fedavg", rounds=1, preprocess="zscore")


def test_vectorised_executor_refuses_a_model_it_cannot_reproduce():
    fed = toy(2, n=40)
    with pytest.raises(FhaiError, match="not supported by the vectorised executor"):
        run_federated(fed, MLP((4,), dropout=0.5), "fedavg", rounds=1, preprocess=None, executor="vectorised")
    h = run_federated(fed, MLP((4,), dropout=0.5), "fedavg", rounds=1, preprocess=None, executor="auto")
    assert h.config["executor"] == "sequential"


def test_after_aggregate_hook_sees_old_and_new_params():
    from fhai_nb.engine import Transform
    calls = []

    class HalfStep(Transform):
        "Moves the global model only half way to what the strategy proposed (a stand-in for central DP noise)."
        name = "half_step"
        def after_aggregate(self, old, new, ctx):
            calls.append((ctx.round, ctx.n_updates))
            return {k: old[k] + 0.5 * (new[k] - old[k]) for k in new}

    fed = toy(1, n=60)
    h = run_federated(fed, "logreg", "fedavg", rounds=1, local_steps=1, batch_size=None, lr=0.2, transforms=[HalfStep()], seed=0, **SEQ)
    m = LogisticRegression().init(5, seed=0)
    X, y = site_tensors(fed, "h0")
    g = torch.autograd.grad(bce_loss(m(X), y), list(m.parameters()))
    for (k, p), gk in zip(m.named_parameters(), g):
        torch.testing.assert_close(h.params[k], (p - 0.5 * 0.2 * gk).detach(), rtol=0, atol=1e-6)
    assert calls == [(1, 1)]


def test_early_stopping_validation_rows_stay_out_of_the_preprocessing_statistics():
    "split='val' carves the validation rows before the preprocessor is fitted: its centres are the training rows' means."
    from fhai_nb.analytics import FederatedPreprocessor
    from fhai_nb.engine import _VAL, rng_for
    fed = toy(3, n=60, seed=2)
    fed.sites[0].local_frame("train").loc[0:40, "x0"] += 50.0  # a few extreme rows, so which rows count shows clearly
    pre = FederatedPreprocessor(impute=None, scale="site", one_hot=False)
    h = run_federated(fed, "logreg", "fedavg", rounds=2, preprocess=pre, executor="sequential",
                      early_stopping=EarlyStopping(patience=5, val_fraction=0.25))
    assert "val" in set(h.frame.split)
    for i, s in enumerate(fed.sites):
        df = s.local_frame("train")
        perm = rng_for(0, _VAL, i).permutation(len(df))
        kept = df.iloc[perm[int(round(0.25 * len(df))):]]  # the rows the site trains on
        center = pre.statistics(site=s.name)["center"]
        np.testing.assert_allclose(center[fed.schema.names].to_numpy(float), kept[fed.schema.names].mean().to_numpy(), rtol=1e-9)
        assert not np.allclose(center[fed.schema.names].to_numpy(float), df[fed.schema.names].mean().to_numpy())
    # with split='train' nothing is carved: the statistics come from every training row
    full = FederatedPreprocessor(impute=None, scale="site", one_hot=False)
    run_federated(fed, "logreg", "fedavg", rounds=1, preprocess=full, executor="sequential", early_stopping=EarlyStopping(split="train"))
    np.testing.assert_allclose(full.statistics(site="h0")["center"][fed.schema.names].to_numpy(float),
                               fed.sites[0].local_frame("train")[fed.schema.names].mean().to_numpy(), rtol=1e-9)


@pytest.mark.parametrize("how", ["finish", "should_stop", "exception"])
def test_thread_count_and_garbage_collector_are_restored_on_every_exit(how):
    "The run uses one torch thread and pauses the cyclic GC; both come back however the run ends."
    import gc
    fed = toy(2, n=40)
    old = torch.get_num_threads()
    during = []
    def cb(e):
        during.append((torch.get_num_threads(), gc.isenabled()))
        if how == "exception": raise RuntimeError("callback failed")
    try:
        torch.set_num_threads(3)
        assert gc.isenabled()
        kw = dict(callbacks=[cb], should_stop=(lambda: True) if how == "should_stop" else None, **SEQ)
        if how == "exception":
            with pytest.raises(RuntimeError, match="callback failed"): run_federated(fed, "logreg", "fedavg", rounds=3, **kw)
        else:
            h = run_federated(fed, "logreg", "fedavg", rounds=3, **kw)
            assert h.rounds == (1 if how == "should_stop" else 3)
        assert during and during[0] == (1, False)
        assert torch.get_num_threads() == 3 and gc.isenabled()
    finally:
        torch.set_num_threads(old); gc.enable()


def test_ditto_personal_models_follow_the_ditto_update_by_hand():
    "Ditto: each site's personal v_i takes its local steps on loss_i(v) + lam/2·||v − w_t||², w_t the round's global model."
    fed = toy(3, n=50, seed=4, shift=0.7)
    lam, lr, K, R = 0.5, 0.2, 2, 3
    h = run_federated(fed, "logreg", Ditto(lam=lam), rounds=R, local_steps=K, batch_size=None, lr=lr, **SEQ)
    init = LogisticRegression().init(5, seed=0)
    w = {k: v.detach().clone() for k, v in init.named_parameters()}
    personal = {s: {k: v.clone() for k, v in w.items()} for s in fed.site_names}
    data = {s: site_tensors(fed, s) for s in fed.site_names}
    ns = {s: fed[s].n_train for s in fed.site_names}

    def local(start, X, y, center=None):
        p = {k: v.clone().requires_grad_(True) for k, v in start.items()}
        for _ in range(K):
            loss = bce_loss(X @ p["weight"].T + p["bias"], y)
            g = torch.autograd.grad(loss, list(p.values()))
            with torch.no_grad():
                for (k, v), gk in zip(p.items(), g):
                    v -= lr * (gk + (lam * (v - center[k]) if center is not None else 0))
        return {k: v.detach() for k, v in p.items()}

    for _ in range(R):
        new = {s: local(w, *data[s]) for s in fed.site_names}
        for s in fed.site_names: personal[s] = local(personal[s], *data[s], center=w)
        N = sum(ns.values())
        w = {k: (w[k].double() + sum(ns[s] / N * (new[s][k].double() - w[k].double()) for s in fed.site_names)).float() for k in w}
    for s in fed.site_names:
        for k in w: torch.testing.assert_close(h.personal[s][k], personal[s][k], rtol=0, atol=1e-5)
    for k in w: torch.testing.assert_close(h.params[k], w[k], rtol=0, atol=1e-5)


# ---------------------------------------------------------------- the redesigned centre: local recipe, server view, progress
def test_run_federated_is_fedavg_by_hand():
    "The loop with default options is FedAvg: full-batch local SGD, the sample-weighted mean of the deltas (both executors)."
    fed = toy(3, n=90, seed=5)
    glob = {k: v.detach().double() for k, v in LogisticRegression().init(5, 0).named_parameters()}
    for _ in range(3):
        deltas, ns = [], []
        for s in fed.site_names:
            X, y = site_tensors(fed, s)
            m = LogisticRegression().init(5, 0)
            with torch.no_grad():
                for k, p in m.named_parameters(): p.copy_(glob[k].float())
            opt = torch.optim.SGD(m.parameters(), lr=0.1)
            for _ in range(4): opt.zero_grad(); bce_loss(m(X), y).backward(); opt.step()
            deltas.append({k: p.detach().double() - glob[k] for k, p in m.named_parameters()}); ns.append(len(y))
        glob = {k: glob[k] + sum(n / sum(ns) * d[k] for n, d in zip(ns, deltas)) for k in glob}
    for exe in ("sequential", "vectorised"):
        h = run_federated(fed, "logreg", "fedavg", rounds=3, local_steps=4, batch_size=None, lr=0.1, preprocess=None, executor=exe, seed=0)
        for k in glob: assert torch.allclose(h.params[k].double(), glob[k], atol=1e-6), (exe, k)


def test_local_training_object_equals_flat_options():
    from fhai_nb.engine import LocalTraining
    fed = toy(3, n=60, seed=2)
    kw = dict(rounds=2, seed=1, **SEQ)
    flat = run_federated(fed, "logreg", "fedavg", local_steps=3, batch_size=8, lr=0.2, momentum=0.5, **kw)
    obj = run_federated(fed, "logreg", "fedavg", local=LocalTraining(steps=3, batch_size=8, lr=0.2, momentum=0.5), **kw)
    as_dict = run_federated(fed, "logreg", "fedavg", local=dict(steps=3, batch_size=8, lr=0.2, momentum=0.5), **kw)
    pd.testing.assert_frame_equal(flat.frame, obj.frame); pd.testing.assert_frame_equal(flat.frame, as_dict.frame)
    assert flat.config == obj.config
    with pytest.raises(FhaiError, match="not both"): run_federated(fed, local=LocalTraining(), lr=0.2, **kw)
    with pytest.raises(FhaiError, match="no option"): run_federated(fed, local=dict(epoch=2), **kw)
    with pytest.raises(FhaiError, match="local must be a LocalTraining"): run_federated(fed, local=3, **kw)


@pytest.mark.parametrize("opts", [dict(optimizer="adam", lr=0.01), dict(momentum=0.9)])
def test_scaffold_refuses_momentum_and_adam(opts):
    "SCAFFOLD's option-II control variate assumes plain SGD: other local optimisers are refused before anything runs."
    with pytest.raises(FhaiError, match="assumes plain SGD"):
        run_federated(toy(2, n=40), "logreg", Scaffold(), rounds=1, **opts, **SEQ)


@pytest.mark.parametrize("executor", ["sequential", "vectorised"])
def test_scaffold_control_variate_follows_the_clipped_update(executor):
    """With a clipping transform, each site's delta_c is computed from the delta it sends (option II on the clipped delta):
    delta_c = -c - delta_sent / (K lr). So delta_c is bounded with the update and reveals nothing the clipped delta does not."""
    fed = toy(3, n=80, seed=6, shift=1.0)
    s, lr, cs, seen = Scaffold(), 0.2, [], []
    def view(v):
        seen.append((v.received, {k: x.clone() for k, x in cs[-1].items()} if cs else None)); cs.append({k: x.clone() for k, x in s.c.items()})
    run_federated(fed, "logreg", s, rounds=4, local_steps=5, batch_size=16, lr=lr, transforms=[ClipNorm(0.05)], seed=0,
                  preprocess=None, executor=executor, server_view=view)
    clipped = 0
    for rnd, (rec, c_prev) in enumerate(seen):
        c_prev = c_prev or {k: torch.zeros_like(v) for k, v in s.c.items()}
        K = torch.from_numpy(rec.metrics["steps"])
        norms = torch.sqrt(sum((v.double() ** 2).reshape(len(rec), -1).sum(1) for v in rec.stacked.values()))
        assert (norms <= 0.05 + 1e-9).all()
        clipped += int(rec.metrics["clipped"].sum())
        for k, d in rec.stacked.items():
            kk = K.reshape(-1, *([1] * (d.dim() - 1)))
            assert torch.allclose(rec.extras["delta_c"][k], -c_prev[k].unsqueeze(0) - d / (kk * lr), atol=1e-12), (rnd, k)
    assert clipped > 0  # the bound was active


def test_server_view_sees_what_the_coordinator_holds():
    fed = toy(4, n=60, seed=3)
    views = []
    from fhai_nb.protocol import ServerView
    h = run_federated(fed, "logreg", "fedavg", rounds=3, faults=Faults(dropout=0.4), seed=2, server_view=[views.append], **SEQ)
    assert [v.round for v in views] == [1, 2, 3] and all(isinstance(v, ServerView) for v in views)
    for v, (_, row) in zip(views, h.log.iterrows()):
        assert set(vars(v)) == {"round", "received", "aggregated", "global_before", "global_after", "selected", "dropped"}
        assert ",".join(v.selected) == row.selected and ",".join(v.dropped) == row.dropped
        assert v.received.sites == [s for s in v.selected if s not in v.dropped]
        if len(v.received):
            for k in v.global_after:
                assert torch.allclose(v.global_after[k] - v.global_before[k], v.aggregated.weighted_mean()[k], atol=1e-12)
    assert any(v.dropped for v in views)
    for a, b in zip(views, views[1:]): assert all(torch.equal(a.global_after[k], b.global_before[k]) for k in a.global_after)
    assert torch.equal(h.params["weight"], views[-1].global_after["weight"].float())
    with pytest.raises(FhaiError, match="server_view must be callables"): run_federated(fed, server_view=[3], **SEQ)


def test_server_view_aggregated_is_after_server_transforms():
    from fhai_nb.engine import Transform
    class Halve(Transform):
        name = "halve"
        def server(self, updates, ctx): return updates.replace(stacked={k: v / 2 for k, v in updates.stacked.items()})
    views = []
    run_federated(toy(2, n=40), "logreg", "fedavg", rounds=1, transforms=[Halve()], server_view=views.append, **SEQ)
    v = views[0]
    for k in v.received.stacked: assert torch.equal(v.aggregated.stacked[k], v.received.stacked[k] / 2)


def test_progress_bar(capsys, monkeypatch):
    "A run longer than about a second shows a tqdm bar; progress=False never does; a worker thread or FHAI_PROGRESS=0 silences auto."
    import time as _time
    from fhai_nb.engine import _progress_bar
    fed = toy(2, n=40)
    slow = lambda ev: _time.sleep(0.7)  # two rounds: past the bar's one-second delay
    run_federated(fed, rounds=2, callbacks=[slow], **SEQ)
    assert "2/2" in capsys.readouterr().err
    run_federated(fed, rounds=2, callbacks=[slow], progress=False, **SEQ)
    assert "2/2" not in capsys.readouterr().err
    assert _progress_bar(False, 5, 0) is None
    monkeypatch.setenv("FHAI_PROGRESS", "0"); assert _progress_bar(None, 5, 0) is None
    monkeypatch.delenv("FHAI_PROGRESS")
    got = []
    t = threading.Thread(target=lambda: got.append(_progress_bar(None, 5, 0))); t.start(); t.join()
    assert got == [None]
    bar = _progress_bar(True, 5, 2); assert (bar.total, bar.n) == (5, 2); bar.close()


def test_aggregates_report_the_sites_they_cover():
    "A site whose test set has one class has no AUROC: AUROC aggregates skip it and say so (n_sites), the loss ones count it."
    from fhai_nb.core import Site
    fed = toy(3, n=60, seed=4)
    h0 = fed["h0"]
    one = Federation([*fed.sites, Site("h3", h0.local_frame("train"), h0.local_frame("test").query("y == 1"))], fed.schema, "t")
    h = run_federated(one, "logreg", "fedavg", rounds=1, **SEQ)
    cov = h.coverage("test")
    assert cov.loc["weighted", "loss"] == 4 and cov.loc["weighted", "auroc"] == 3 and cov.loc["worst", "balanced_accuracy"] == 3
    t = h.final("test", coverage=True)
    assert t.loc["mean", "n_sites_auroc"] == 3 and t.loc["h3", "n_sites_loss"] == 1 and math.isnan(t.loc["h3", "auroc"])
    f = h.frame
    assert f[(f.site == "weighted") & (f.split == "fit")].n_sites.tolist() == [4]


def test_missing_values_without_preprocessing_name_the_site():
    "The one-block conversion of site data falls back to the per-site path, whose error names the site and the column."
    fed = toy(3, n=40, seed=1)
    sites = [s if s.name != "h1" else s.with_frames(s.local_frame("train").assign(x2=lambda d: d.x2.mask(d.index == d.index[3])), s.local_frame("test"))
             for s in fed.sites]
    bad = Federation(sites, fed.schema, "nan", check=False)
    with pytest.raises(FhaiError, match=r"site 'h1': column\(s\) \['x2'\] have missing values"):
        run_federated(bad, rounds=1, **SEQ)
