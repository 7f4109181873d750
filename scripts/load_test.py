"""Load test (not part of `make test`): N concurrent browser sessions on one Voila server, each completing a playground run.

Starts Voila with the workshop settings of `fhai_nb.playground.serve` on 127.0.0.1 (serving only the playground notebook,
so pre-heating, if asked for, fills one pool), opens N headless-Chromium pages at once, and in each: waits until the page is
usable (Run button enabled), presses Run (Heart Disease, FedAvg, 20 rounds), waits for the final plot (every round drawn)
and for the session table's row. Prints one line per session and a summary; writes JSON to --out.

    .venv/bin/python scripts/load_test.py --sessions 10            # cold kernels: every page starts its own
    .venv/bin/python scripts/load_test.py --sessions 10 --pool-size 10 --preheat-wait 180
"""
import argparse, asyncio, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FINAL_PLOT_JS = ("() => { const t = document.querySelectorAll('.fhai-live-plot .scatterlayer .trace');"
                 " return t.length > 0 && Array.from(t).every(x => x.querySelectorAll('path.point').length == 20); }")

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

async def session(i: int, browser, url: str, timeout_ms: int, t_start: float, settle: float = 0) -> dict:
    out = dict(session=i, ok=False)
    ctx = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)[:200]))
    try:
        t0 = time.perf_counter()
        await page.goto(url, timeout=timeout_ms)
        await page.wait_for_selector(".fhai-run:not([disabled])", timeout=timeout_ms)
        await page.wait_for_selector(".fhai-fed-summary table", timeout=timeout_ms)
        out["usable_s"] = time.perf_counter() - t0
        if settle: await page.wait_for_timeout(settle * 1000)  # a participant reading the page before pressing Run
        t1 = time.perf_counter()
        await page.click(".fhai-run")
        await page.wait_for_selector(".fhai-run-status [data-status='done']", timeout=timeout_ms)
        await page.wait_for_function(FINAL_PLOT_JS, timeout=timeout_ms)
        out["final_plot_s"] = time.perf_counter() - t1
        await page.wait_for_selector(".fhai-session-table tbody tr", timeout=timeout_ms)
        out["results_s"] = time.perf_counter() - t1
        out["ok"] = True
    except Exception as e:
        out["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
    finally:
        out["page_errors"] = errors
        out["done_at_s"] = time.perf_counter() - t_start
        try: await page.screenshot(path=str(Path(os.environ.get("FHAI_ARTIFACTS", "test-artifacts")) / f"load_session_{i:02d}.png"))
        except Exception: pass
        await ctx.close()
    return out

async def main_async(a) -> dict:
    from playwright.async_api import async_playwright
    from fhai_nb.playground import dashboards_dir, voila_command, wait_for_server
    Path(os.environ.get("FHAI_ARTIFACTS", "test-artifacts")).mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="fhai_load_"))
    shutil.copy(dashboards_dir() / "playground.ipynb", root / "playground.ipynb")
    port = a.port or free_port()
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    log = open(root / "voila.log", "w")
    proc = subprocess.Popen(voila_command(port=port, pool_size=a.pool_size, root=root), stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(base, 120, proc)
        if a.pool_size and a.preheat_wait: await asyncio.sleep(a.preheat_wait)  # let the pool run the notebook
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=a.chromium, args=CHROMIUM_ARGS)
            t_start = time.perf_counter()
            url = base + "/voila/render/playground.ipynb"
            res = await asyncio.gather(*[session(i, browser, url, a.timeout * 1000, t_start, a.settle) for i in range(a.sessions)])
            wall = time.perf_counter() - t_start
            await browser.close()
    finally:
        proc.terminate(); proc.wait(60); log.close()
    ok = [r for r in res if r["ok"]]
    def stats(key):
        v = [r[key] for r in ok]
        return dict(median=statistics.median(v), min=min(v), max=max(v)) if v else None
    return dict(sessions=a.sessions, succeeded=len(ok), pool_size=a.pool_size, wall_s=wall, usable_s=stats("usable_s"),
                final_plot_s=stats("final_plot_s"), results_s=stats("results_s"), per_session=res, cpus=os.cpu_count())

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--pool-size", type=int, default=0, help="pre-heated kernels (0: each page starts its own)")
    p.add_argument("--preheat-wait", type=float, default=0, help="seconds to let the pre-heated pool fill before the sessions start")
    p.add_argument("--timeout", type=float, default=600, help="seconds each step may take")
    p.add_argument("--settle", type=float, default=0, help="seconds each session waits on the usable page before pressing Run")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--out", default="test-artifacts/load_test.json")
    a = p.parse_args(argv)
    r = asyncio.run(main_async(a))
    for s in r["per_session"]:
        print(f"session {s['session']:2d}: {'ok  ' if s['ok'] else 'FAIL'} usable {s.get('usable_s', float('nan')):6.1f} s, "
              f"final plot {s.get('final_plot_s', float('nan')):5.2f} s after Run, results {s.get('results_s', float('nan')):5.2f} s"
              + (f"  {s['error']}" if not s["ok"] else ""))
    f = lambda d: "n/a" if d is None else f"median {d['median']:.1f} s (min {d['min']:.1f}, max {d['max']:.1f})"
    print(f"\n{r['succeeded']}/{r['sessions']} sessions completed a run on one Voila server ({r['cpus']} CPUs, pool_size={r['pool_size']}); "
          f"wall {r['wall_s']:.1f} s\n  time to usable page: {f(r['usable_s'])}\n  Run -> final plot:   {f(r['final_plot_s'])}\n"
          f"  Run -> results row:  {f(r['results_s'])}")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(r, indent=1))
    return 0 if r["succeeded"] == r["sessions"] else 1

if __name__ == "__main__":
    sys.exit(main())
