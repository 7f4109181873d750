"""Cost of one Run in a real playground kernel: kernel CPU-seconds, widget messages and bytes, Run to final plot.

One Voila server with one pre-heated playground kernel, one protocol client (fhai_nb.room_check.WidgetSession) pressing
Run `runs` times; each Run is measured from the click until the kernel is quiet again (training, the baselines
comparison and every redraw). Prints medians of the runs after the first (the first trains the cached baselines).
    python scripts/run_cost.py [runs]
"""
import asyncio, statistics, sys, time
from fhai_nb import room, room_check as R

class CountingSession(R.WidgetSession):
    "A WidgetSession that counts the widget update messages and bytes it receives."
    n_msgs = n_bytes = 0
    by_widget: dict = {}
    def _received(self, mid, raw):
        self.n_msgs += 1; self.n_bytes += len(raw)
        st = self.states.get(mid, {})
        name = next(iter(st.get("_dom_classes", ())), st.get("_model_name", "?"))
        self.by_widget[name] = self.by_widget.get(name, 0) + 1

def main(runs: int = 5):
    zero = room.KernelCost(pss_mb=1, pss_after_run_mb=1, warm_cpu_s=0, run_cpu_s=1e-3, server_mb=0)
    plan = room.plan_room(1, zero, spare=0, available_mb=1e9, cores=1)
    plan.pools = {"playground.ipynb": 1}
    rows = []
    with room.start_room(plan, port=R.free_port()) as server:
        server.wait_warm(600, progress=False)
        (k,) = R._kernels(server.proc)
        R._settle(k)
        async def go():
            s = CountingSession(server.url)
            await s.open(180)
            R._settle(k, quiet=0.03)
            for i in range(runs):
                c0, m0, b0 = R._cpu_s(k), s.n_msgs, s.n_bytes
                s.by_widget = {}
                t = await s.run(180)
                await asyncio.get_running_loop().run_in_executor(None, lambda: R._settle(k, quiet=0.03, every=0.5))
                rows.append(dict(run=i, cpu_s=R._cpu_s(k) - c0, msgs=s.n_msgs - m0, kbytes=(s.n_bytes - b0) / 1024, **t))
                print(rows[-1], flush=True)
                if i == runs - 1: print("updates by widget (last run):", dict(sorted(s.by_widget.items(), key=lambda x: -x[1])))
            await s.close()
        R._run_async(go())
    later = rows[1:] or rows
    med = {c: statistics.median(r[c] for r in later) for c in ("cpu_s", "msgs", "kbytes", "final_plot_s", "results_s")}
    print("median of runs 2..%d:" % len(rows), {k: round(v, 3) for k, v in med.items()})

if __name__ == "__main__": main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
