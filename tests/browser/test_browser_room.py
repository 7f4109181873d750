"""A workshop room on a real Voila server: waiting kernels survive the idle culler, a student's closed tab is culled, and a
student whose kernel dies sees a banner and gets a fresh pre-heated kernel on reload."""
import json, re, time
import psutil
import pytest
from fhai_nb.room import KernelCost, plan_room, start_room
from fhai_nb.room_check import free_port, _kernels

pytestmark = pytest.mark.browser
COST = KernelCost(pss_mb=300, pss_after_run_mb=350, warm_cpu_s=4, run_cpu_s=0.3, server_mb=150)  # planning only: no limit hit

def _kernel_id(page) -> str:
    return json.loads(page.locator("#jupyter-config-data").text_content())["kernelId"]

def _kernel_proc(server, kid):
    return next(k for k in _kernels(server.proc) if any(kid in a for a in k.cmdline()))

def test_room_culls_students_not_the_pool_and_replaces_a_dead_kernel(browser, artifacts, tmp_path):
    plan = plan_room(2, COST, available_mb=1e6, cores=64, spare=1)
    plan.pools = {"playground.ipynb": 2}
    with start_room(plan, port=free_port(), log_path=artifacts / "room_voila.log", cull_idle_timeout=20, cull_interval=1) as server:
        server.wait_warm(300, progress=False)
        pooled = {k.pid for k in _kernels(server.proc)}
        assert len(pooled) == 2
        time.sleep(24)  # longer than the cull timeout: waiting kernels are idle by design and must survive
        assert {k.pid for k in _kernels(server.proc)} == pooled

        url = f"{server.url}/voila/render/playground.ipynb"
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        t0 = time.perf_counter()
        page.goto(url, timeout=120_000)
        page.wait_for_selector(".fhai-run:not([disabled])", timeout=120_000)
        usable = time.perf_counter() - t0
        kid = _kernel_id(page)
        victim = _kernel_proc(server, kid)
        victim.kill()  # the student's kernel crashes
        page.wait_for_selector(".fhai-session-lost", timeout=30_000)
        assert "session has stopped" in page.locator(".fhai-session-lost").text_content()
        page.screenshot(path=str(artifacts / "room_session_lost.png"))
        page.click(".fhai-session-lost button")  # reload onto a fresh pre-heated kernel
        page.wait_for_selector(".fhai-run:not([disabled])", timeout=120_000)
        assert _kernel_id(page) != kid
        page.click(".fhai-run")
        page.wait_for_selector(".fhai-run-status [data-status='done']", timeout=120_000)
        page.screenshot(path=str(artifacts / "room_after_reload.png"))
        second = _kernel_id(page)
        page.close()  # the student leaves: their kernel idles and is culled
        deadline = time.time() + 60
        while time.time() < deadline and any(second in " ".join(k.cmdline()) for k in _kernels(server.proc)): time.sleep(1)
        assert not any(second in " ".join(k.cmdline()) for k in _kernels(server.proc)), "a closed tab's kernel was not culled"
        log = server.log_path.read_text()
        assert "fhai room warm" in log and "died" in log
    assert usable < 120
