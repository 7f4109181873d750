#!/usr/bin/env bash
# Every test, in the order CI needs them: no drift between notebooks and library, then notebooks, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
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
echo "== nbdev-test"
$BIN/nbdev-test --n-workers 2
echo "== pytest"
set +e
$BIN/python -m pytest -q -n 2 ${PYTEST_ARGS:-} tests
rc=$?
set -e
[ $rc -eq 5 ] && { echo "pytest collected no tests"; exit 1; }
exit $rc
