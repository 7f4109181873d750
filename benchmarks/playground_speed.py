"""Playground speed (issue 5): how soon a dashboard kernel has a usable app, and how soon Run shows its final plot.

Not a test: it prints figures (and writes JSON next to the other benchmark results). Measured in separate fresh
processes so import costs are real, on whatever machine runs it; compare figures from one run of this script only.

1. Page start (kernel side): `import fhai_nb.playground` and `Playground()` in a fresh interpreter, and which heavy
   libraries (torch, sklearn) that pulled in.
2. Run -> final plot (the default run: Heart Disease, FedAvg, 20 rounds) after warm-up, as the playground does it
   (FederatedClassifier with per-round callbacks into the run state and the live plot), against the same training
   called directly with `run_federated` in the same process (the baseline: what the engine alone costs).
3. Optionally (--browser) the same two figures in real Chromium against a Voila server: time to a usable page, and
   from the click on Run to every round drawn in the live plot.
"""
import argparse, json, os, statistics, subprocess, sys, time
from pathlib import Path

PAGE = r'''
import time, sys, json
t0 = time.perf_counter()
import fhai_nb.playground as P
t1 = time.perf_counter()
app = P.Playground(warm=False)
t2 = time.perf_counter()
print(json.dumps(dict(import_s=t1 - t0, build_s=t2 - t1, torch_loaded="torch" in sys.modules, sklearn_loaded="sklearn" in sys.modules)))
'''

RUN = r'''
import time, json, statistics
from fhai_nb.widgets import Experiment, RunPanel
from fhai_nb.engine import run_federated
from fhai_nb.estimator import FederatedClassifier
ex = Experiment(evaluate=False, mode="sync")
panel = RunPanel(ex)            # the live plot is redrawn on every tick, as on the page
fed = ex.federation.federation
FederatedClassifier(rounds=1).fit(fed)  # what Playground(warm=True) does in the background after the page shows
play, engine, evaluate = [], [], []
for i in range(REPS):
    t = time.perf_counter(); run_federated(fed, "logreg", "fedavg", 20); engine.append(time.perf_counter() - t)
    marks = {}
    ex.run.observe(lambda c: c["new"] == "done" and marks.setdefault("plot", time.perf_counter()), names="status")
    t = time.perf_counter(); ex.start(); play.append(marks["plot"] - t)
    assert ex.run.round == 20 and len(panel.plot.data[0].x) == 20
ex2 = Experiment(mode="sync")   # with the pooled/local-only comparison and calibration after the plot
for i in range(REPS):
    ex2._baselines = {}
    t = time.perf_counter(); ex2.start(); evaluate.append(time.perf_counter() - t)
print(json.dumps(dict(engine_s=engine, playground_plot_s=play, playground_with_results_s=evaluate)))
'''

def fresh(code: str, reps: int = 0) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code.replace("REPS", str(reps))], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="playground speed")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--browser", action="store_true", help="also measure in Chromium against Voila (one session)")
    p.add_argument("--out", default="benchmarks/results/playground_speed.json")
    a = p.parse_args(argv)
    pages = [fresh(PAGE) for _ in range(3)]
    run = fresh(RUN, a.reps)
    med = statistics.median
    res = dict(cpus=os.cpu_count(), page_import_s=med(x["import_s"] for x in pages), page_build_s=med(x["build_s"] for x in pages),
               torch_at_page_start=pages[0]["torch_loaded"], sklearn_at_page_start=pages[0]["sklearn_loaded"],
               engine_20_rounds_s=med(run["engine_s"]), playground_run_to_final_plot_s=med(run["playground_plot_s"]),
               playground_run_to_results_s=med(run["playground_with_results_s"]), raw=dict(pages=pages, run=run))
    res["playground_over_engine"] = res["playground_run_to_final_plot_s"] / res["engine_20_rounds_s"]
    if a.browser:  # one real Chromium page on a one-person room (a pre-heated kernel, as a workshop serves it)
        from fhai_nb.room import room_check
        rep = room_check(1, browsers=1, window=0.01, artifacts="test-artifacts").sessions.iloc[0]
        res["browser_room"] = dict(usable_page_s=rep.get("usable_s"), run_to_final_plot_s=rep.get("final_plot_s"),
                                   run_to_results_s=rep.get("results_s"))
    print(f"machine: {res['cpus']} CPUs (shared); medians of {a.reps} runs / 3 fresh interpreters")
    print(f"page start (kernel): import fhai_nb.playground {res['page_import_s']:.2f} s + build Playground {res['page_build_s']:.2f} s; "
          f"torch loaded at start: {res['torch_at_page_start']}, sklearn: {res['sklearn_at_page_start']}")
    print(f"Run -> final plot (Heart Disease, FedAvg, 20 rounds, warmed): {res['playground_run_to_final_plot_s']:.3f} s; "
          f"engine alone {res['engine_20_rounds_s']:.3f} s (ratio {res['playground_over_engine']:.2f}); "
          f"with baselines and calibration {res['playground_run_to_results_s']:.3f} s")
    if a.browser:
        b = res["browser_room"]
        print(f"browser (Chromium + Voila, pre-heated kernel): usable page {b['usable_page_s']:.1f} s; "
              f"Run -> every round drawn {b['run_to_final_plot_s']:.2f} s; -> results row {b['run_to_results_s']:.2f} s")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1))
    return 0

if __name__ == "__main__":
    sys.exit(main())
