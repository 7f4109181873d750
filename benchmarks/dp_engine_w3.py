"""DP-SGD in the engine on W3 (fhai_nb.bench's W3: 1,000 sites x 100 rows, 80 training; logistic regression, 20
features; one local epoch per round, lr 0.05, FedAvg, one final evaluation): `run_federated` with
`dp=DPSGD(noise_multiplier=1.0, max_grad_norm=1.0, expected_batch_size=32)` (q = 32/80 = 0.4, ceil(1/q) = 3 Poisson
steps per round, accounted per site with Opacus' RDP accountant) against the same run without privacy (batch_size=32:
ceil(80/32) = 3 shuffled steps per round). Both on the vectorised executor, one torch thread.

Timed: the whole `run_federated` call (building the sites, the rounds, the final evaluation) and its training loop
(the rounds: the sum of `History.log.seconds`). Runs interleaved (plain, DP, plain, DP, ...) so that both see the same
machine load; the minimum of `--repeats` runs is reported. The accountant's caches are emptied before every run, so
each DP run pays for its own per-site accounting (Opacus' RDP, one ledger row per site per round).
Run: python benchmarks/dp_engine_w3.py [--rounds 5] [--repeats 3] [--out benchmarks/results/dp_engine_w3.json]
"""
import argparse, json, os, platform, time
import torch

from fhai_nb import accounting
from fhai_nb.bench import WORKLOADS, make_federation
from fhai_nb.dp import DPSGD
from fhai_nb.engine import run_federated


def one(fed, wl, rounds, dp):
    accounting._CACHE.clear(); accounting._RDP_STEP.clear()  # every DP run pays for its own accounting (no answers kept from the last run)
    opts = dict(local_epochs=1, lr=wl.lr, preprocess=None, eval_every=rounds, executor="vectorised", seed=0, progress=False)
    if dp: opts.update(batch_size=None, dp=DPSGD(noise_multiplier=1.0, max_grad_norm=1.0, expected_batch_size=wl.batch_size))
    else: opts.update(batch_size=wl.batch_size)
    t0 = time.perf_counter()
    h = run_federated(fed, "logreg", "fedavg", rounds, **opts)
    whole = time.perf_counter() - t0
    f = h.frame
    acc = f[(f.split == "test") & (f.metric == "accuracy") & (f.site == "weighted")].value.iloc[-1]
    eps = float(h.epsilon().epsilon.max()) if dp else None
    return whole, float(h.log.seconds.sum()), float(acc), eps


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    wl = WORKLOADS["W3"]
    fed = make_federation(wl, 0)
    small = make_federation(type(wl)(**{**wl.to_dict(), "n_sites": 20}), 0)
    one(small, wl, 1, True); one(small, wl, 1, False)  # warm-up: imports, first calls
    runs = {True: [], False: []}
    for _ in range(a.repeats):
        for dp in (False, True): runs[dp].append(one(fed, wl, a.rounds, dp))
    best = {dp: (min(r[0] for r in rs), min(r[1] for r in rs), rs[0][2], rs[0][3]) for dp, rs in runs.items()}
    res = dict(workload="W3", sites=wl.n_sites, train_rows=wl.n_train, features=wl.n_features, rounds=a.rounds, repeats=a.repeats,
               executor="vectorised", executor_torch_threads=1,  # the vectorised executor trains on one thread
               plain_run_s=round(best[False][0], 3), dp_run_s=round(best[True][0], 3),
               plain_loop_s=round(best[False][1], 3), dp_loop_s=round(best[True][1], 3),
               dp_over_plain_run=round(best[True][0] / best[False][0], 2), dp_over_plain_loop=round(best[True][1] / best[False][1], 2),
               plain_test_accuracy=round(best[False][2], 4), dp_test_accuracy=round(best[True][2], 4), dp_epsilon=round(best[True][3], 3),
               all_runs={"plain": runs[False], "dp": runs[True]},
               load_1m=os.getloadavg()[0], cpus=os.cpu_count(), python=platform.python_version(), torch=torch.__version__)
    print(json.dumps(res, indent=1))
    if a.out:
        with open(a.out, "w") as f: json.dump(res, f, indent=1)
    return res


if __name__ == "__main__":
    main()
