"The vectorised executor gives the sequential executor's numbers (within 1e-5) for every strategy, fault and option."
import numpy as np
import pandas as pd
import pytest
import torch

from fhai_nb.core import Federation
from fhai_nb.engine import ClipNorm, Faults, run_federated
from fhai_nb.learners import MLP, TorchModel
from fhai_nb.strategies import (Cyclic, Ditto, FedAdagrad, FedAdam, FedAvg, FedMedian, FedProx, FedYogi, FineTune, Krum,
                                Scaffold, TrimmedMean)
from fhai_nb import vectorised

TOL = 1e-5


@pytest.fixture(scope="module")
def fed():
    "Six hospitals of unequal size (so batches end short at different steps), with a site-level shift."
    rng = np.random.default_rng(0)
    frames = []
    for i, n in enumerate([23, 41, 17, 60, 35, 29]):
        x = rng.normal(0.3 * i, 1.0, size=(n, 4))
        y = (x @ np.array([1.0, -0.5, 0.25, 0.0]) + rng.logistic(size=n) > 0.3 * i).astype(int)
        y[:2] = [0, 1]  # both classes at every site
        frames.append(pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(y=y, site=f"h{i}"))
    return Federation.from_frame(pd.concat(frames, ignore_index=True), "site", "y", test_size=0.25, seed=1)


def _both(fed, **kw):
    kw = dict(dict(rounds=3, batch_size=8, lr=0.1, seed=3), **kw)
    strategy = kw.pop("strategy", FedAvg)
    hs = [run_federated(fed, strategy=strategy() if callable(strategy) else strategy, executor=ex, **kw)
          for ex in ("sequential", "vectorised")]
    assert hs[0].config["executor"] == "sequential" and hs[1].config["executor"] == "vectorised"
    return hs


def _same(h_seq, h_vec):
    a, b = h_seq.frame, h_vec.frame
    assert len(a) == len(b) > 0
    m = a.merge(b, on=["round", "site", "split", "metric"], how="outer", suffixes=("_s", "_v"), indicator=True)
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"].head()
    both_nan = m["value_s"].isna() & m["value_v"].isna()
    diff = (m["value_s"] - m["value_v"]).abs()
    bad = m[~both_nan & ~(diff <= TOL)]
    assert bad.empty, bad.head(10)
    for k in h_seq.params:
        assert torch.allclose(h_seq.params[k].double(), h_vec.params[k].double(), atol=TOL, rtol=0), k
    assert set(h_seq.personal) == set(h_vec.personal)
    for s in h_seq.personal:
        for k in h_seq.personal[s]:
            assert torch.allclose(h_seq.personal[s][k].double(), h_vec.personal[s][k].double(), atol=TOL, rtol=0), (s, k)


STRATEGIES = {
    "fedavg": lambda: FedAvg(),
    "fedavg_sampled": lambda: FedAvg(fraction=0.5, min_sites=2),
    "fedprox": lambda: FedProx(mu=0.5),
    "fedadam": lambda: FedAdam(server_lr=0.05),
    "fedyogi": lambda: FedYogi(server_lr=0.05),
    "fedadagrad": lambda: FedAdagrad(server_lr=0.05),
    "scaffold": lambda: Scaffold(),
    "fedmedian": lambda: FedMedian(),
    "trimmedmean": lambda: TrimmedMean(beta=0.2),
    "krum": lambda: Krum(f=1),
    "multikrum": lambda: Krum(f=1, m=3),
    "cyclic": lambda: Cyclic(),
    "ditto": lambda: Ditto(lam=0.5),
}


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_strategy_same_numbers(fed, name):
    _same(*_both(fed, strategy=STRATEGIES[name]))


@pytest.mark.parametrize("opts", [
    dict(local_steps=4),  # steps mode: the iterator persists across rounds
    dict(local_epochs=2, batch_size=16),
    dict(batch_size=None),  # full batch
    dict(optimizer="adam", lr=0.01),
    dict(momentum=0.9, weight_decay=0.01),
    dict(model=MLP((8, 4), "tanh")),
    dict(model=TorchModel(lambda n: torch.nn.Sequential(torch.nn.Linear(n, 5), torch.nn.GELU(), torch.nn.Linear(5, 1)))),
    dict(preprocess="site"),
    dict(transforms=[ClipNorm(0.05)]),
    dict(personalise=FineTune(epochs=2)),
    dict(strategy=Scaffold, local_steps=3, faults=Faults(stragglers=0.5, straggler_work=0.5)),
    dict(strategy=Scaffold, transforms=[ClipNorm(0.05)]),  # delta_c from the clipped delta
    dict(strategy=lambda: Ditto(lam=0.5), local_steps=3, transforms=[ClipNorm(0.05)], faults=Faults(stragglers=0.5, dropout=0.2)),
], ids=lambda o: ",".join(f"{k}" for k in o))
def test_options_same_numbers(fed, opts):
    _same(*_both(fed, **opts))


@pytest.mark.parametrize("faults", [
    Faults(dropout=0.3),
    Faults(stragglers=0.5, straggler_work=0.4),
    Faults(byzantine=0.34, attack="sign_flip"),
    Faults(byzantine=0.34, attack="label_flip"),
    Faults(byzantine=0.34, attack="random"),
    Faults(dropout=0.2, stragglers=0.3, byzantine=0.2, attack="scale"),
], ids=lambda f: f"{f.attack}-d{f.dropout}-s{f.stragglers}-b{f.byzantine}")
def test_faults_same_numbers(fed, faults):
    for strategy in (FedAvg, FedMedian):
        _same(*_both(fed, faults=faults, strategy=strategy))


def test_auto_picks_vectorised_and_falls_back(fed):
    h = run_federated(fed, rounds=1, seed=0)
    assert h.config["executor"] == "vectorised"
    h = run_federated(fed, MLP((4,), dropout=0.5), rounds=1, seed=0)  # dropout: not vectorisable
    assert h.config["executor"] == "sequential"


def test_vectorised_refuses_unsupported_model(fed):
    from fhai_nb.core import FhaiError
    with pytest.raises(FhaiError, match="executor='sequential'"):
        run_federated(fed, MLP((4,), dropout=0.5), rounds=1, executor="vectorised")


@pytest.mark.parametrize("opt", [
    dict(lr=0.2),
    dict(lr=0.2, momentum=0.9, weight_decay=0.01),
    dict(lr=0.2, momentum=0.9, nesterov=True),
    dict(lr=0.05, optimizer="adam"),
    dict(lr=0.05, optimizer="adam", weight_decay=0.1),
], ids=lambda o: ",".join(f"{k}" for k in o))
def test_unequal_sites_and_short_batches_exact(opt):
    "train_stacked against torch.optim (SGD, momentum, Nesterov, Adam) site by site, with a step mask from unequal plans."
    rng = np.random.default_rng(5)
    sizes = [5, 9, 1, 14]
    xs = [rng.standard_normal((n, 3)).astype(np.float32) for n in sizes]
    ys = [(rng.random(n) < 0.5).astype(np.float32) for n in sizes]
    from fhai_nb.engine import batch_plan, site_plan
    pidx, pmask, psteps = batch_plan(0, 1, np.arange(4), sizes, 4, epochs=2)
    padded = [site_plan(pidx, pmask, psteps, i) for i in range(4)]
    plans = [[b[b >= 0] for b in p] for p in padded]
    idx, mask = vectorised.stack_plans(padded)  # re-stacking per-site plans gives the engine's plan back
    assert np.array_equal(mask, pmask) and np.array_equal(idx[mask], pidx[pmask])
    X, Y, _ = vectorised.stack_arrays(xs, ys)
    lin = torch.nn.Linear(3, 1)
    p0 = {k: v.detach().unsqueeze(0).repeat(4, *[1] * v.dim()) for k, v in lin.named_parameters()}
    kw = dict(opt)
    lr, name = kw.pop("lr"), kw.pop("optimizer", "sgd")
    P, loss = vectorised.train_stacked(lin, p0, X, Y, idx, mask, lr, name, **kw)
    assert (mask.any(axis=2).sum(axis=0) == [4, 6, 2, 8]).all()  # unequal step counts: later steps are masked
    for i, (x, y, plan) in enumerate(zip(xs, ys, plans)):
        m = torch.nn.Linear(3, 1); m.load_state_dict(lin.state_dict())
        ref = (torch.optim.Adam if name == "adam" else torch.optim.SGD)(m.parameters(), lr=lr, **kw)
        losses = []
        for b in plan:
            ref.zero_grad()
            l = torch.nn.functional.binary_cross_entropy_with_logits(m(torch.from_numpy(x[b])).reshape(-1), torch.from_numpy(y[b]))
            l.backward(); ref.step(); losses.append(l.item())
        assert torch.allclose(P["weight"][i], m.weight.detach(), atol=1e-6)
        assert torch.allclose(P["bias"][i], m.bias.detach(), atol=1e-6)
        assert abs(float(loss[i]) - np.mean(losses)) < 1e-6  # mean batch loss over the site's own steps only


def test_reused_executor_does_not_keep_earlier_runs_sites(fed):
    "An executor object given to several runs keeps only the current run's stacked site tensors, with unchanged numbers."
    ex = vectorised.VectorisedExecutor()
    for seed in range(3):
        h = run_federated(fed, rounds=2, executor=ex, seed=seed, batch_size=8)
        assert len(ex._store["keep"]) == len(fed)
        pd.testing.assert_frame_equal(h.frame, run_federated(fed, rounds=2, executor="vectorised", seed=seed, batch_size=8).frame)
