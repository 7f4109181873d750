"Secure aggregation tests: exact sums within the quantisation, uniform masked vectors, dropout recovery up to n - t, clear failures."
import itertools
import numpy as np
import pytest
import torch
from scipy import stats

from fhai_nb.core import FhaiError
from fhai_nb.dp import DPFedAvg
from fhai_nb.engine import TransformContext, run_federated
from fhai_nb.secagg import (PRIME, SecAggRound, SecureAggregation, decode, encode, mask_stream, pair_key, keypair,
                            shamir_combine, shamir_split)
from fhai_nb.synthetic import synthetic_federation
from fhai_nb.vectorised import UpdateBatch

LEVEL = 1e-6  # false-failure rate of each statistical check (the keys are seeded, so the checks are deterministic)


def test_encoding_round_trip_and_range():
    x = np.random.default_rng(0).normal(0, 100, (30, 500))
    with np.errstate(over="ignore"):
        s = encode(x, 32, 30).sum(0, dtype=np.uint64)
    assert np.abs(decode(s) - x.sum(0)).max() <= 30 * 2.0 ** -33
    assert np.abs(decode(encode(-x[0], 20), 20) + x[0]).max() <= 2.0 ** -21
    with pytest.raises(FhaiError, match="outside the secure-aggregation range"): encode([2.0 ** 31])
    with pytest.raises(FhaiError, match="NaN"): encode([np.nan])


def test_shamir_any_t_of_n_and_refuses_fewer():
    s = PRIME - 12345
    sh = shamir_split(s, 6, 3)
    for c in itertools.combinations(sh, 3): assert shamir_combine(list(c), 3) == s
    with pytest.raises(FhaiError, match="only 2 distinct shares"): shamir_combine(sh[:2] + [sh[0]], 3)
    # two shares are consistent with any secret: different secrets give differently distributed share pairs only via randomness
    assert shamir_split(5, 4, 1)[0][1] == 5  # t = 1: every share is the secret


def test_key_agreement_is_symmetric_and_streams_differ():
    a, b, c = keypair(3, 0), keypair(3, 1), keypair(None)
    assert pair_key(a, b.public_key(), 1) == pair_key(b, a.public_key(), 1)
    assert pair_key(a, c.public_key(), 1) != pair_key(b, c.public_key(), 1)
    assert not np.array_equal(mask_stream(pair_key(a, b.public_key(), 1), 8), mask_stream(pair_key(a, b.public_key(), 2), 8))


@pytest.mark.parametrize("n,t", [(6, 4), (9, 5)])
def test_sum_recovered_with_up_to_n_minus_t_dropouts_and_fails_beyond(n, t):
    x = np.random.default_rng(n).normal(0, 2, (n, 257))
    rd = SecAggRound(n, t, round=4)  # random keys from the OS CSPRNG: the result must not depend on them
    Y = rd.mask_all(encode(x, n_terms=n))
    rng = np.random.default_rng(1)
    for k in range(0, n - t + 1):
        gone = set(rng.choice(n, size=k, replace=False).tolist())
        keep = [i for i in range(n) if i not in gone]
        got = decode(rd.unmask({i: Y[i] for i in keep}))
        assert np.abs(got - x[keep].sum(0)).max() <= n * 2.0 ** -33
    with pytest.raises(FhaiError, match=f"only {t - 1} of {n} sites sent their masked update and {t} are needed"):
        rd.unmask({i: Y[i] for i in range(t - 1)})


def test_one_masked_vector_is_uniform():
    rd = SecAggRound(3, 2, round=1, key_seed=11)
    y = rd.mask_all(np.zeros((3, 65536), dtype=np.uint64))[1]
    for shift in (0, 24, 56):
        counts = np.bincount(((y >> np.uint64(shift)) & np.uint64(255)).astype(np.int64), minlength=256)
        assert stats.chisquare(counts).pvalue > LEVEL
    assert stats.chisquare(np.bincount((y & np.uint64(1)).astype(np.int64), minlength=2)).pvalue > LEVEL


def test_transform_pair_gives_the_weighted_mean_and_ledger():
    S = 10
    g = torch.Generator().manual_seed(0)
    ub = UpdateBatch([f"h{i}" for i in range(S)], np.arange(S) * 3 + 4, {"weight": torch.randn(S, 1, 5, generator=g, dtype=torch.float64),
                                                                        "bias": torch.randn(S, 1, generator=g, dtype=torch.float64)})
    led = []
    sa = SecureAggregation(threshold=0.5, dropout=0.3)
    b = sa.site_batch(ub, TransformContext(2, led, 9, 0, site_indices=np.arange(S), n_sites=S))
    assert all(v.dtype == torch.int64 for v in b.stacked.values())
    out = sa.server(b, TransformContext(2, led, 9, 0, n_sites=S, n_updates=S))
    assert len(out) == 1 and led[0]["threshold"] == 6
    k = led[0]["survivors"]
    assert 6 <= k <= S
    # which sites survived is not visible in the output; check the sum against every subset of size k that matches
    means = []
    for keep in itertools.combinations(range(S), k):
        keep = list(keep)
        w = torch.from_numpy(ub.n_samples[keep].astype(np.float64))
        means.append((w @ ub.stacked["bias"][keep].reshape(k, -1)) / w.sum())
    err = min(float((m - out.stacked["bias"][0]).abs().max()) for m in means)
    assert err <= S * 2.0 ** -33 * ub.n_samples.max()


def test_bad_input():
    with pytest.raises(FhaiError, match="threshold must be an integer >= 2 or a fraction"): SecureAggregation(threshold=1)
    with pytest.raises(FhaiError, match="needs at least 5 sites in a round, got 4"): SecureAggregation(threshold=5).threshold_for(4)
    with pytest.raises(FhaiError, match="at least 2 sites"): SecAggRound(1, 2)
    with pytest.raises(FhaiError, match="dropout"): SecureAggregation(dropout=1.0)


def test_in_a_run_with_distributed_dp_and_clear_failures():
    fed = synthetic_federation(n_sites=5, seed=2, n_rows=60)
    h0 = run_federated(fed, rounds=2, seed=0)
    h1 = run_federated(fed, rounds=2, seed=0, transforms=[SecureAggregation(threshold=3)])
    np.testing.assert_allclose(h1.frame.value.to_numpy(), h0.frame.value.to_numpy(), rtol=1e-5, atol=1e-6)
    h2 = run_federated(fed, rounds=2, seed=0, transforms=[DPFedAvg(0.3, 1.0, noise="distributed"), SecureAggregation(threshold=3)])
    assert set(h2.ledger["mechanism"]) == {"dp_fedavg", "secure_aggregation"}
    with pytest.raises(FhaiError, match="list DPFedAvg before SecureAggregation"):
        run_federated(fed, rounds=1, transforms=[SecureAggregation(threshold=3), DPFedAvg(0.3, 1.0, noise="distributed")])
    with pytest.raises(FhaiError, match="not recoverable"):
        run_federated(fed, rounds=1, transforms=[SecureAggregation(threshold=4, drop=lambda r, s: s[:2])])
    with pytest.raises(FhaiError, match="SCAFFOLD"):
        run_federated(fed, rounds=1, strategy="scaffold", transforms=[SecureAggregation(threshold=3)])
