"DP tests: Poisson inclusion rate, noise std, batched DP-SGD = sequential reference, refusals, DP-FedAvg noise = Flower's."
import math
import numpy as np
import pytest
import torch
from scipy import stats

from fhai_nb.accounting import BudgetExhausted, epsilon_for
from fhai_nb.core import FhaiError
from fhai_nb.dp import DPFedAvg, DPSGD, dp_sgd_reference, linear_layers, poisson_plan, row_grads, site_normal, train_dp_stacked
from fhai_nb.engine import TransformContext, batch_plan, run_federated
from fhai_nb.learners import MLP, LogisticRegression, TorchModel, get_params
from fhai_nb.synthetic import synthetic_federation
from fhai_nb.vectorised import UpdateBatch, stack_arrays

LEVEL = 1e-6  # each statistical check fails by chance with probability 1e-6 (two-sided); seeds are fixed


def test_inclusion_rate_is_the_sample_rate():
    q = np.array([0.01, 0.05, 0.3])
    n = np.array([400, 100, 20])
    p = poisson_plan(seed=11, round=3, site_index=[5, 6, 7], n_rows=n, sample_rate=q, steps=500)
    for s in range(3):
        k, trials = p.mask[:, s].sum(), 500 * n[s]
        assert abs(k - trials * q[s]) / math.sqrt(trials * q[s] * (1 - q[s])) < stats.norm.isf(LEVEL / 2)
        per_row = np.bincount(p.idx[:, s][p.mask[:, s]], minlength=n[s])
        assert len(per_row) == n[s]  # only real rows are ever sampled
    # batch sizes are Binomial(n, q): their variance too
    sizes = p.mask[:, 1].sum(1)
    chi = (len(sizes) - 1) * sizes.var(ddof=1) / (100 * 0.05 * 0.95)
    assert stats.chi2.ppf(LEVEL / 2, len(sizes) - 1) < chi < stats.chi2.isf(LEVEL / 2, len(sizes) - 1)


def test_site_noise_is_standard_normal_and_site_keyed():
    z = site_normal(5, 2, np.arange(50), 1, 4000).ravel()
    chi = (len(z) - 1) * z.var(ddof=1)
    assert stats.chi2.ppf(LEVEL / 2, len(z) - 1) < chi < stats.chi2.isf(LEVEL / 2, len(z) - 1)
    assert np.array_equal(site_normal(5, 2, [9], 1, 10)[0], site_normal(5, 2, [3, 9], 1, 10)[1])
    assert not np.array_equal(site_normal(5, 2, [9], 1, 10), site_normal(5, 3, [9], 1, 10))


@pytest.mark.parametrize("spec", [LogisticRegression(), MLP((4,), "tanh"),  # the linear-layer route
                                  TorchModel(lambda n: torch.nn.Sequential(torch.nn.Linear(n, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 1)))])  # torch.func route
def test_batched_dp_sgd_matches_sequential_reference(spec):
    g = torch.Generator().manual_seed(0)
    ns = [25, 8, 40, 16]
    Xs = [torch.randn(n, 5, generator=g) for n in ns]
    ys = [(torch.rand(n, generator=g) < 0.5).float() for n in ns]
    X, y, _ = stack_arrays([x.numpy() for x in Xs], [v.numpy() for v in ys])
    m0 = spec.init(5, seed=1)
    P0 = {k: v.unsqueeze(0).repeat(4, *[1] * v.dim()) for k, v in get_params(m0).items()}
    sig = np.array([0.5, 1.0, 2.0, 0.0])
    sites = [3, 1, 0, 2]
    plan = poisson_plan(7, 1, sites, ns, [0.2, 0.5, 0.1, 0.3], [5, 3, 7, 0])
    P, loss = train_dp_stacked(m0, P0, X, y, plan, sig, 0.7, 0.3, 7, 1, sites)
    for j in range(4):
        ref = spec.init(5, seed=1)
        l = dp_sgd_reference(ref, Xs[j], ys[j], plan, j, float(sig[j]), 0.7, 0.3, 7, 1, sites[j])
        for k, v in ref.named_parameters():
            torch.testing.assert_close(P[k][j], v.detach(), rtol=1e-5, atol=1e-6)
        assert float(loss[j]) == pytest.approx(l, rel=1e-5, abs=1e-7)
    assert torch.equal(P["weight" if "weight" in P else "0.weight"][3], P0["weight" if "weight" in P0 else "0.weight"][3])  # 0 steps


def test_dp_sgd_noise_has_the_claimed_std():
    # one step with zero gradients contribution (all rows masked out by q tiny) isolates the noise: params move by lr*sigma*C*z/(qn)
    S, P_ = 200, 20
    m0 = LogisticRegression().init(P_ - 1, seed=0)
    P0 = {k: torch.zeros(S, *v.shape) for k, v in get_params(m0).items()}
    X, y = torch.zeros(S, 10, P_ - 1), torch.zeros(S, 10)
    plan = poisson_plan(0, 1, np.arange(S), np.full(S, 10), 1e-12, 1)
    assert not plan.mask.any()
    sigma, C, lr = 1.3, 0.8, 1.0
    P, _ = train_dp_stacked(m0, P0, X, y, plan, sigma, C, lr, 0, 1, np.arange(S))
    moved = torch.cat([P["weight"].reshape(S, -1), P["bias"].reshape(S, -1)], 1).double().numpy().ravel()
    sd = lr * sigma * C / (1e-12 * 10)
    chi = (len(moved) - 1) * moved.var(ddof=1) / sd ** 2
    assert stats.chi2.ppf(LEVEL / 2, len(moved) - 1) < chi < stats.chi2.isf(LEVEL / 2, len(moved) - 1)


def test_refusals():
    idx, mask, steps = batch_plan(0, 1, [0], [20], 5)
    m0 = LogisticRegression().init(3, seed=0)
    P0 = {k: v.unsqueeze(0) for k, v in get_params(m0).items()}
    X, y = torch.zeros(1, 20, 3), torch.zeros(1, 20)
    with pytest.raises(FhaiError, match="fixed-size shuffled batches"):
        train_dp_stacked(m0, P0, X, y, (idx, mask), 1.0, 1.0, 0.1, 0, 1, [0])
    with pytest.raises(FhaiError, match="use expected_batch_size=16"): DPSGD(noise_multiplier=1.0, batch_size=16, epochs=1)
    for bad in (0, -1.0, float("inf")):
        with pytest.raises(FhaiError, match="clip norm must be a positive number"): DPSGD(max_grad_norm=bad, noise_multiplier=1, sample_rate=0.1, steps=1)
        with pytest.raises(FhaiError, match="clip norm must be a positive number"): DPFedAvg(1.0, bad)
    with pytest.raises(FhaiError, match="target_epsilon must be a positive number"): DPSGD(target_epsilon=0, rounds=3, sample_rate=0.1, steps=1)
    with pytest.raises(FhaiError, match=r"delta must be in \(0, 1\)"): DPSGD(noise_multiplier=1.0, sample_rate=0.1, steps=1, delta=1.0)
    with pytest.raises(FhaiError, match="use noise='central'"): DPFedAvg(1.0, 1.0, noise="distributed", adaptive=True)
    with pytest.raises(FhaiError, match="sample_rate"): DPFedAvg(1.0, 1.0, sample_rate=1.5)


def test_dpsgd_budget_refuses_then_stops_sites():
    dp = DPSGD(noise_multiplier=1.0, sample_rate=0.5, steps=5, budget=15.0)
    X, y = torch.randn(2, 10, 3), torch.ones(2, 10)
    m0 = LogisticRegression().init(3, seed=0)
    P = {k: v.unsqueeze(0).repeat(2, *[1] * v.dim()) for k, v in get_params(m0).items()}
    history = []
    for r in range(1, 8):
        P, _, rows = dp.train(m0, P, X, y, [10, 10], ["a", "b"], [0, 1], r, 0, 0.1)
        history.append(rows[0]["trained"])
    assert history[0] and not history[-1]
    assert 14.0 < dp.ledger.epsilon("a") <= 15.0 and history == [True, True, True, False, False, False, False]
    with pytest.raises(BudgetExhausted): dp.ledger.record(9, ["a"], 1.0, 0.5, 5)


def _round(tf, S, P, seed=0, r=1):
    g = torch.Generator().manual_seed(seed)
    ub = UpdateBatch([f"s{i}" for i in range(S)], np.arange(S) + 1, {"w": torch.randn(S, P, generator=g, dtype=torch.float64)})
    led = []
    b = tf.site_batch(ub, TransformContext(r, led, seed, 0, site_indices=np.arange(S), n_sites=S))
    b = tf.server(b, TransformContext(r, led, seed, 0, n_sites=S, n_updates=S))
    old = {"w": torch.zeros(P, dtype=torch.float64)}
    agg = {"w": b.weighted_mean()["w"]}
    return ub, b, agg, tf.after_aggregate(old, agg, TransformContext(r, led, seed, 0, n_sites=S, n_updates=S)), led


def test_dp_fedavg_clips_like_flower_and_adds_flowers_noise():
    dpf = pytest.importorskip("flwr.supercore.differential_privacy")  # Flower is an optional extra
    clip_inputs_inplace, compute_stdv = dpf.clip_inputs_inplace, dpf.compute_stdv
    S, P, sigma, C = 20, 5000, 0.9, 2.0
    ub, b, agg, new, led = _round(DPFedAvg(sigma, C), S, P)
    for i in range(S):
        arr = [ub.stacked["w"][i].numpy().copy()]
        clip_inputs_inplace(arr, C)
        np.testing.assert_allclose(b.stacked["w"][i].numpy(), arr[0], rtol=1e-12)
    noise = (new["w"] - agg["w"]).numpy()
    sd = compute_stdv(sigma, C, S)
    chi = (P - 1) * noise.var(ddof=1) / sd ** 2
    assert stats.chi2.ppf(LEVEL / 2, P - 1) < chi < stats.chi2.isf(LEVEL / 2, P - 1)
    assert led[0]["epsilon"] == pytest.approx(epsilon_for(sigma, 1.0, 1))


def test_dp_fedavg_sampling_uses_fixed_denominator_and_is_accounted():
    S, q = 400, 0.1
    tf = DPFedAvg(1.0, 1.0, sample_rate=q, noise="distributed")
    ub, b, agg, new, led = _round(tf, S, 30, seed=4)
    part = b.metrics["participated"].astype(bool)
    k = part.sum()
    assert abs(k - S * q) / math.sqrt(S * q * (1 - q)) < stats.norm.isf(LEVEL / 2)
    assert led[0]["denominator"] == pytest.approx(S * q) and led[0]["sample_rate"] == q
    assert led[0]["epsilon"] == pytest.approx(epsilon_for(1.0, q, 1))


def test_dp_fedavg_in_a_run_refuses_what_it_cannot_account():
    fed = synthetic_federation(n_sites=3, seed=1, n_rows=60)
    with pytest.raises(FhaiError, match="use strategy='fedavg'"):
        run_federated(fed, strategy="fedmedian", rounds=1, transforms=[DPFedAvg(1.0, 1.0)])
    h = run_federated(fed, rounds=2, transforms=[DPFedAvg(0.5, 1.0, budget=20.0)], seed=3)
    h2 = run_federated(fed, rounds=2, transforms=[DPFedAvg(0.5, 1.0, budget=20.0)], seed=3)
    assert h.frame.equals(h2.frame) and list(h.ledger["round"]) == [1, 2]
    with pytest.raises(BudgetExhausted, match="would be exceeded"):
        run_federated(fed, rounds=5, transforms=[DPFedAvg(0.5, 1.0, budget=20.0)])


@pytest.mark.parametrize("spec", [LogisticRegression(), MLP((8, 3), "relu"), MLP((4,), "gelu")])
def test_linear_route_equals_torch_func(spec):
    m = spec.init(6, seed=0)
    P = {k: torch.stack([v.detach() * (1 + 0.1 * i) for i in range(4)]) for k, v in m.named_parameters()}
    g = torch.Generator().manual_seed(2)
    sid, x, y = torch.randint(0, 4, (11,), generator=g), torch.randn(11, 6, generator=g), (torch.rand(11, generator=g) < 0.5).float()
    assert linear_layers(m) is not None
    a, la = row_grads(m, P, sid, x, y, linear_layers(m))
    b, lb = row_grads(m, P, sid, x, y)
    for k in b: torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(la, lb)
