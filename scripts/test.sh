#!/usr/bin/env bash
# Every test, in the order CI needs them: no drift between notebooks and library, then notebooks, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FHAI_VENV:-.venv}/bin
echo "== nbdev-clean leaves tracked notebooks unchanged"
snap() { find "$@" \( -name '*.ipynb' -o -name '*.py' \) -not -path '*/.ipynb_checkpoints/*' -print0 | sort -z | xargs -0 sha1sum; }
before=$(snap nbs)
$BIN/nbdev-clean
after=$(snap nbs)
if [ "$before" != "$after" ]; then git --no-pager diff --stat -- nbs; echo "FAIL: run nbdev-clean and commit the notebooks"; exit 1; fi
echo "== no saved widget state in notebooks"
if grep -l '"application/vnd.jupyter.widget-state+json"' $(git ls-files 'nbs/*.ipynb' 'nbs/**/*.ipynb' 'fhai_nb/dashboards/*.ipynb') 2>/dev/null; then
  echo "FAIL: the notebooks above carry saved widget state; clear it (nbdev-clean with clear_all or Jupyter's 'Clear widget state')"; exit 1; fi
echo "== nbdev-export leaves fhai_nb/ unchanged"
before=$(snap fhai_nb)
$BIN/nbdev-export
after=$(snap fhai_nb)
if [ "$before" != "$after" ]; then git --no-pager diff --stat -- fhai_nb; echo "FAIL: fhai_nb/ differs from the notebooks' export: edit nbs/, run nbdev-export, commit both"; exit 1; fi
echo "== pytest: every notebook once (tests/test_notebooks.py runs each as nbdev-test does), then the plain tests"
set +e
$BIN/python -m pytest -q -n 2 ${PYTEST_ARGS:-} --ignore=tests/browser tests
rc=$?
set -e
[ $rc -eq 5 ] && { echo "pytest collected no tests"; exit 1; }
echo "== browser tests: Voila and JupyterLab on 127.0.0.1, driven by Debian's headless Chromium (screenshots in test-artifacts/)"
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium (Playwright's own browser download does not work here)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
set +e
$BIN/python -m pytest -q ${PYTEST_ARGS:-} tests/browser  # serially: each test starts its own server and kernel
brc=$?
set -e
[ $rc -ne 0 ] && exit $rc
exit $brc
