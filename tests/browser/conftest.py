"Fixtures for browser tests: real Voila and JupyterLab servers on 127.0.0.1, driven by Debian's headless Chromium via Playwright."
import contextlib, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("FHAI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def wait_http(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None: raise RuntimeError(f"server exited with {proc.returncode}; see its log")
        try:
            with urllib.request.urlopen(url, timeout=2): return
        except urllib.error.HTTPError as e:
            if e.code < 500: return
        except OSError: pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")

def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()  # Voila and Jupyter shut their kernels down on SIGTERM
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()

def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    return env

@contextlib.contextmanager
def running(cmd: list, log_path: Path, probe: str, env: dict, cwd: Path):
    "Start a server, wait until `probe` answers, yield; always stop it and keep its log as an artefact."
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        try:
            wait_http(probe, proc)
            yield proc
        finally:
            stop(proc)
    if ARTIFACTS.exists(): shutil.copy(log_path, ARTIFACTS / log_path.name)

@pytest.fixture(scope="session")
def chromium_path():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium), as scripts/test.sh does")
    return CHROMIUM

@pytest.fixture
def browser(chromium_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()

@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

@pytest.fixture
def voila_server(tmp_path):
    "A Voila server over the packaged dashboards (no pre-heated kernels, so the page really runs the notebook)."
    from fhai_nb.playground import voila_command
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(voila_command(port=port, pool_size=0, show_tracebacks=True), tmp_path / "voila.log", base + "/voila/static/",
                 _env(), tmp_path):
        yield base

@pytest.fixture
def lab_server(tmp_path):
    "A JupyterLab server over a copy of the tutorial notebooks, with the app exposed to the page for driving commands."
    nbdir = tmp_path / "nbs"
    shutil.copytree(ROOT / "nbs" / "tutorials", nbdir)
    port = free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--allow-root",
           "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
           f"--ServerApp.root_dir={nbdir}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    env = _env(); env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "jupyter_config"); env["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp_path / "ws")
    base = f"http://127.0.0.1:{port}"
    with running(cmd, tmp_path / "lab.log", base + "/api", env, nbdir):
        yield base

@pytest.fixture
def voila_for(tmp_path):
    "Start Voila over a folder of notebooks: `with voila_for(folder) as base: ...` (no pre-heated kernels)."
    @contextlib.contextmanager
    def start(root: Path):
        from fhai_nb.playground import voila_command
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(voila_command(port=port, pool_size=0, root=root, show_tracebacks=True), tmp_path / "voila_custom.log",
                     base + "/", _env(), tmp_path):
            yield base
    return start

PLAYGROUND_READY = (".fhai-run", ".fhai-fed-summary table")  # what a person waits for before the playground is usable

@pytest.fixture
def open_page(browser):
    "Open a page at a URL, collect its JavaScript errors, and wait until every `ready` selector shows: returns (page, errors)."
    def open_(url: str, height: int = 1100, ready=PLAYGROUND_READY, width: int = 1400):
        page = browser.new_page(viewport={"width": width, "height": height})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url, timeout=180_000)
        for sel in ready: page.wait_for_selector(sel, timeout=180_000)
        return page, errors
    return open_
