"""DP-SGD inside the engine: the sampling trained on is the sampling accounted, the ledger is Opacus' epsilon, the two
executors agree, budgets stop sites (logged), refusals, and the attacks from the server's real view."""
import math
import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from fhai_nb.attacks import ReconstructionMonitor
from fhai_nb.core import Federation, FhaiError
from fhai_nb.dp import DPFedAvg, DPSGD
from fhai_nb.engine import EarlyStopping, run_federated
from fhai_nb.runtime import LocalTraining, SequentialExecutor
from fhai_nb.secagg import SecureAggregation
from fhai_nb.strategies import Ditto
from fhai_nb.synthetic import synthetic_federation
from fhai_nb.vectorised import VectorisedExecutor

LEVEL = 1e-3  # two-sided level of the statistical tests: each fails by chance once in 1,000 seeds (the seeds are fixed)


@pytest.fixture(scope="module")
def fed():
    return synthetic_federation(n_sites=4, seed=0, n_rows=120, size_skew=1.0)  # unequal sites: different sample rates


def _run(fed, executor="vectorised", **kw):
    opts = dict(rounds=3, batch_size=None, lr=0.1, seed=3, progress=False,
                dp=DPSGD(noise_multiplier=1.0, expected_batch_size=12, max_grad_norm=1.0))
    opts.update(kw)
    return run_federated(fed, executor=executor, **opts)


class Recording(VectorisedExecutor):
    "The vectorised executor, keeping the Poisson plan of every call it trains on (what the sites actually sample)."
    def __init__(self): super().__init__(); self.plans = []
    def train(self, module, starts, data, tasks):
        self.plans.append((tasks.dp["plan"], [d.n_train for d in data]))
        return super().train(module, starts, data, tasks)


def test_inclusion_rate_is_the_accounted_rate(fed):
    exe = Recording()
    h = _run(fed, executor=exe, rounds=4)
    q_acc = h.ledger.groupby("site").sample_rate.first()  # what the accountant was told
    n = {s.name: s.n_train for s in fed}
    for plan, ns in exe.plans:
        for j, s in enumerate(fed.site_names):
            assert plan.sample_rate[j] == pytest.approx(q_acc[s]) and ns[j] == n[s]
    # every (step, row) pair is one Bernoulli(q) trial: the inclusions of a site over the run are Binomial(trials, q)
    for j, s in enumerate(fed.site_names):
        k = sum(int(p.mask[:p.steps[j], j].sum()) for p, _ in exe.plans)
        trials = sum(int(p.steps[j]) * n[s] for p, _ in exe.plans)
        assert stats.binomtest(k, trials, q_acc[s]).pvalue > LEVEL
        # and every row is equally likely: its count over the run is Binomial(steps, q) (variance test on the counts)
        counts = np.zeros(n[s])
        for p, _ in exe.plans:
            for t in range(int(p.steps[j])): np.add.at(counts, p.idx[t, j][p.mask[t, j]], 1)
        T = sum(int(p.steps[j]) for p, _ in exe.plans)
        chi = ((counts - T * q_acc[s]) ** 2).sum() / (T * q_acc[s] * (1 - q_acc[s]))
        assert stats.chi2.ppf(LEVEL / 2, n[s]) < chi < stats.chi2.isf(LEVEL / 2, n[s])


@pytest.mark.parametrize("accountant", ["rdp", "prv"])
def test_ledger_epsilon_is_opacus(fed, accountant):
    from opacus.accountants import PRVAccountant, RDPAccountant
    h = _run(fed, rounds=3, dp=DPSGD(noise_multiplier=1.1, expected_batch_size=12, accountant=accountant, delta=1e-5))
    eps = h.epsilon()
    assert list(eps.index) == fed.site_names and (eps.mechanism == "dp_sgd").all() and (eps.rounds == 3).all()
    for s in fed.site_names:
        rows = h.ledger[h.ledger.site == s]
        acc = RDPAccountant() if accountant == "rdp" else PRVAccountant()
        for _, r in rows.iterrows():
            for _ in range(int(r.steps)): acc.step(noise_multiplier=1.1, sample_rate=float(r.sample_rate))
        q = 12 / fed[s].n_train
        assert rows.sample_rate.iloc[0] == pytest.approx(q) and int(rows.steps.iloc[0]) == math.ceil(1 / q - 1e-9)
        assert eps.loc[s, "epsilon"] == pytest.approx(acc.get_epsilon(1e-5), rel=1e-9)
        assert rows.epsilon.is_monotonic_increasing


def test_target_epsilon_is_reached_not_exceeded(fed):
    h = _run(fed, rounds=3, dp=DPSGD(target_epsilon=2.0, expected_batch_size=12))
    e = h.epsilon().epsilon
    assert (e <= 2.0 + 1e-9).all() and (e > 2.0 - 0.05).all()  # Opacus' search stops within epsilon_tolerance 0.01 below


# float32 arithmetic in a different order (per-row autograd vs batched matrix products): each step agrees to about 1e-7
# relative; over 3 rounds of ~10-30 steps the parameters (of size ~1) agree to well within 1e-5.
@pytest.mark.parametrize("opts", [dict(), dict(momentum=0.9), dict(optimizer="adam", lr=0.01), dict(weight_decay=0.01),
                                  dict(strategy="fedprox"), dict(strategy="scaffold"), dict(local_steps=4),
                                  dict(model="mlp"), dict(faults={"stragglers": 0.5, "dropout": 0.2}),
                                  dict(dp=DPSGD(noise_multiplier=1.0, expected_batch_size=1))])  # q < 5%: the per-row route
def test_sequential_equals_vectorised(fed, opts):
    "Both routes of the batched DP-SGD (dense mask for a logistic regression with >= 5% sampled, per-row otherwise) match."
    a, b = _run(fed, "sequential", **opts), _run(fed, "vectorised", **opts)
    for k in a.params: torch.testing.assert_close(a.params[k], b.params[k], rtol=1e-5, atol=1e-5)
    pd.testing.assert_frame_equal(a.ledger, b.ledger)
    pd.testing.assert_frame_equal(a.frame, b.frame, rtol=1e-4, atol=1e-5)


def test_dp_changes_training_and_hides_training_loss(fed):
    seen = []
    h = _run(fed, server_view=seen.append)
    plain = run_federated(fed, rounds=3, batch_size=None, lr=0.1, seed=3, progress=False)
    assert not torch.allclose(h.params["weight"], plain.params["weight"])
    assert "loss" not in seen[0].received.metrics and set(h.frame.split) == {"test"}  # no raw statistic of training rows leaves
    assert set(plain.frame.split) == {"fit", "train", "test"}
    assert h.config["dp"] == dict(max_grad_norm=1.0, noise_multiplier=1.0, expected_batch_size=12, delta=1e-5, accountant="rdp")


def test_budget_stops_a_site_and_the_run_goes_on(fed):
    small = min(fed.site_names, key=lambda s: fed[s].n_train)  # highest sample rate: spends fastest
    h = _run(fed, rounds=6, dp=DPSGD(noise_multiplier=2.0, expected_batch_size=12, budget=2.5))  # spent at rounds 3, 3, never, 3
    eps = h.epsilon().epsilon
    assert (eps <= 2.5).all() and h.rounds == 6
    log = h.log.set_index("round")
    first = log.budget_spent.str.contains(small).idxmax()
    assert log.budget_spent.str.contains(small).any() and first > 1
    assert small not in log.loc[first, "dropped"].split(",")  # reported as budget_spent, not as a dropout
    assert small not in h.ledger[h.ledger["round"] >= first].site.tolist()  # no further steps
    assert (log.n_updates < 4).any() and (log.n_updates > 0).any()  # the others trained on
    # when no site could take another round the run stops and says why: here after round 1, where only the largest
    # site (0.94 of 1.0) could still train, and a second round would take it to 1.23
    h2 = _run(fed, rounds=50, dp=DPSGD(noise_multiplier=2.0, expected_batch_size=12, budget=1.0))
    assert h2.stopped == "budget_spent" and h2.rounds == 1 and list(h2.epsilon().index) == ["hospital_02"]
    assert set(h2.log.iloc[-1].budget_spent.split(",")) == set(fed.site_names) - {"hospital_02"}


def test_checkpoint_resume_keeps_the_ledger(fed, tmp_path):
    whole = _run(fed, rounds=4)
    _run(fed, rounds=2, checkpoint=tmp_path)
    resumed = _run(fed, rounds=4, checkpoint=tmp_path)
    pd.testing.assert_frame_equal(whole.ledger, resumed.ledger)
    for k in whole.params: assert torch.equal(whole.params[k], resumed.params[k])


def test_refusals(fed):
    dp = DPSGD(noise_multiplier=1.0, expected_batch_size=12)
    with pytest.raises(FhaiError, match=r"fixed-size batches \(batch_size=32\).*expected_batch_size=32"):
        run_federated(fed, rounds=1, dp=dp)  # batch_size's default is a fixed-size batch
    with pytest.raises(FhaiError, match="fixed-size batches"): LocalTraining(batch_size=16, dp=dp)
    with pytest.raises(FhaiError, match="use expected_batch_size=16"): DPSGD(noise_multiplier=1.0, batch_size=16)
    with pytest.raises(FhaiError, match="not in DPSGD"): LocalTraining(batch_size=None, dp=DPSGD(noise_multiplier=1.0, sample_rate=0.1, epochs=2))
    with pytest.raises(FhaiError, match="personalise"): _run(fed, personalise="finetune")
    with pytest.raises(FhaiError, match="Ditto"): _run(fed, strategy=Ditto(), dp=DPSGD(target_epsilon=3.0, expected_batch_size=12))
    with pytest.raises(FhaiError, match="split='val'"): _run(fed, early_stopping=EarlyStopping(split="train"))
    class Plain:
        name = "plain"
        def train(self, *a): raise AssertionError("must not be called")
        def predict(self, *a): raise AssertionError("must not be called")
    with pytest.raises(FhaiError, match="does not run DP-SGD"): _run(fed, executor=Plain())
    with pytest.raises(FhaiError, match=r"delta must be in \(0, 1\)"): DPSGD(noise_multiplier=1.0, sample_rate=0.1, delta=0)
    with pytest.raises(FhaiError, match="DPSGD or a dict"): LocalTraining(batch_size=None, dp=1.0)
    with pytest.raises(FhaiError, match="no option"): run_federated(fed, rounds=1, local={"dp": None, "noise": 1})
    # Ditto with a fixed noise multiplier is accounted: two DP-SGD passes per round per site
    h = _run(fed, strategy=Ditto(lam=0.1), rounds=2)
    assert (h.epsilon().rounds == 2).all() and (h.ledger.groupby(["round", "site"]).size() == 2).all()


def _single_record_federation():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd"))
    df["y"] = (rng.random(60) < 0.5).astype(float)
    df["site"] = np.repeat([f"h{i}" for i in range(6)], 10)
    fed = Federation.from_frame(df, "site", "y", test_size=0.3, seed=0)
    sites = [s.with_frames(s.local_frame("train").iloc[:1], s.local_frame("test")) for s in fed.sites]  # one patient each
    return Federation(sites, fed.schema, "single", check=False)


@pytest.mark.parametrize("protection,stopped", [(dict(), False), (dict(dp=DPSGD(noise_multiplier=1.0, sample_rate=1.0)), True),
                                                (dict(transforms=[DPFedAvg(1.0, 0.05, noise="distributed")]), True),
                                                (dict(transforms=[DPFedAvg(1.0, 0.05, noise="central")]), False),
                                                (dict(transforms=[SecureAggregation(threshold=3, key_seed=0)]), True)])
def test_reconstruction_from_the_real_server_view(protection, stopped):
    fed = _single_record_federation()
    truth = {s.name: s.local_frame("train")[list("abcd")].to_numpy() for s in fed}
    mon = ReconstructionMonitor(truth=truth)
    opts = dict(rounds=2, batch_size=None, local_steps=1, lr=0.5, preprocess=None, progress=False, server_view=mon)
    run_federated(fed, **(opts | protection))
    f = mon.frame
    assert len(f) == 12 and set(f.site) == set(fed.site_names)
    if not stopped: assert (f.error < 1e-4).all()  # exact: x = dW / db (central DP noises only the model, after the server saw it)
    else: assert not (f.reconstructed & (f.error < 0.1)).any()


def test_run_config_carries_dp(tmp_path):
    from fhai_nb.estimator import FederatedClassifier
    from fhai_nb.runs import Run, RunConfig, run
    cfg = RunConfig(data={"source": "synthetic", "n_sites": 3, "n_rows": 100},
                    training={"rounds": 2, "batch_size": None, "lr": 0.1,
                              "dp": DPSGD(noise_multiplier=1.0, expected_batch_size=8, budget=50.0)})
    assert cfg.training["dp"] == dict(max_grad_norm=1.0, noise_multiplier=1.0, expected_batch_size=8, delta=1e-5, accountant="rdp", budget=50.0)
    for back in (RunConfig.from_dict(cfg.to_dict()), RunConfig.from_yaml(cfg.to_yaml()), RunConfig.from_json(cfg.to_json())): assert back == cfg
    code = cfg.to_python()
    assert "from fhai_nb.dp import DPSGD" in code and "dp=DPSGD(max_grad_norm=1.0, noise_multiplier=1.0, expected_batch_size=8," in code
    r = run(cfg)
    ns = {}; exec(code, ns)  # "Show code" reproduces the run, privacy ledger included
    pd.testing.assert_frame_equal(ns["history"].ledger, r.history.ledger)
    clf = FederatedClassifier.from_config(cfg).fit(ns["fed"])
    pd.testing.assert_frame_equal(clf.history_.epsilon(), r.history.epsilon())
    r.save(tmp_path / "run")
    pd.testing.assert_frame_equal(Run.load(tmp_path / "run").ledger.reset_index(drop=True), r.history.ledger, check_dtype=False)
    for bad, msg in [({"dp": {"noise_multiplier": 1.0, "expected_batch_size": 8}}, "fixed-size batches"),
                     ({"batch_size": None, "dp": {"noise_multipler": 1.0}}, "did you mean 'noise_multiplier'"),
                     ({"batch_size": None, "dp": {"noise_multiplier": 1.0, "sample_rate": 0.1, "delta": 2}}, r"delta must be in \(0, 1\)"),
                     ({"batch_size": None, "dp": {"noise_multiplier": 1.0, "sample_rate": 0.1, "steps": 3}}, "not in DPSGD"),
                     ({"batch_size": None, "dp": 1.0}, "training.dp must be a dict")]:
        with pytest.raises(FhaiError, match=msg): RunConfig(training=dict(rounds=2, **bad)).validate()
