"""What the playground page costs a browser and its kernel at first render, on one quiet Voila server.

Opens the page once through the widget protocol (number of widget models, bytes of their state) and `pages` times in
headless Chromium one after another (seconds to usable, and the page's own main-thread work from Chrome's performance
metrics: script, layout and task seconds), then presses Run in the last page and times the final plot.
    python scripts/page_cost.py [pages] [folder of dashboards holding playground.ipynb (default: the packaged ones)]
"""
import asyncio, json, statistics, sys, time
from fhai_nb import room
from fhai_nb import room_check as R

async def states_size(url):
    s = R.WidgetSession(url)
    t = await s.open(180)
    n, size = len(s.states), len(json.dumps(s.states))
    await s.close()
    return dict(protocol_usable_s=round(t, 2), models=n, state_kb=round(size / 1024, 1))

def chromium_cpu() -> float:
    "CPU seconds of the Chromium processes under this one (browser, renderers, GPU and utility processes)."
    import psutil
    tot = 0.0
    for p in psutil.Process().children(recursive=True):
        try:
            if "chrom" in p.name(): t = p.cpu_times(); tot += t.user + t.system
        except psutil.NoSuchProcess: pass
    return tot

async def browser_pages(url, pages):
    from playwright.async_api import async_playwright
    out = []
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=R.CHROMIUM_ARGS)
        for i in range(pages):
            s = R.BrowserSession(b, url)
            s.ctx = await b.new_context(viewport={"width": 1300, "height": 1000})
            s.page = await s.ctx.new_page()
            cdp = await s.ctx.new_cdp_session(s.page)
            await cdp.send("Performance.enable")
            c0, t0 = chromium_cpu(), time.perf_counter()
            await s.page.goto(s.url, timeout=180_000)
            await s.page.wait_for_selector(".fhai-run:not([disabled])", timeout=180_000)
            await s.page.wait_for_selector(".fhai-fed-summary table", timeout=180_000)
            usable, cpu = time.perf_counter() - t0, chromium_cpu() - c0
            m = {x["name"]: x["value"] for x in (await cdp.send("Performance.getMetrics"))["metrics"]}
            row = dict(usable_s=round(usable, 2), chromium_cpu_s=round(cpu, 2), script_s=round(m["ScriptDuration"], 2),
                       layout_s=round(m["LayoutDuration"], 2), task_s=round(m["TaskDuration"], 2), heap_mb=round(m["JSHeapUsedSize"] / 2**20, 1),
                       nodes=int(m["Nodes"]))
            if i == pages - 1: row.update({k: round(v, 2) for k, v in (await s.run(120)).items()})
            out.append(row); print(row, flush=True)
            await s.close()
        await b.close()
    return out

def main(pages: int = 3):
    cost = room.KernelCost(pss_mb=1, pss_after_run_mb=1, warm_cpu_s=0, run_cpu_s=1e-3, server_mb=0)
    plan = room.plan_room(1, cost, spare=0, available_mb=1e9, cores=1)
    plan.pools = {"playground.ipynb": pages + 1}
    with room.start_room(plan, port=R.free_port(), root=(sys.argv[2] if len(sys.argv) > 2 else None)) as server:
        server.wait_warm(600, progress=False)
        for k in R._kernels(server.proc): R._settle(k)
        print(R._run_async(states_size(server.url)), flush=True)
        rows = R._run_async(browser_pages(server.url, pages))
    print("median:", {c: statistics.median(r[c] for r in rows) for c in ("usable_s", "chromium_cpu_s", "script_s", "layout_s", "task_s", "heap_mb", "nodes")})

if __name__ == "__main__": main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
