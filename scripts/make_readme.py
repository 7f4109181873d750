"""Build README.md from nbs/index.ipynb without Quarto: execute the notebook, drop `#| hide` cells and
nbdev directives, and write markdown. Usage: .venv/bin/python scripts/make_readme.py"""
import re, sys
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parents[1]

def main(src=ROOT / "nbs/index.ipynb", dst=ROOT / "README.md"):
    import os
    os.environ["FHAI_PROGRESS"] = "0"  # no progress bars in the README's outputs (the kernel inherits this)
    nb = nbformat.read(src, as_version=4)
    ExecutePreprocessor(timeout=600, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(src.parent)}})
    keep = []
    for c in nb.cells:
        if c.cell_type == "code":
            if re.search(r"^#\|\s*hide\b", c.source, re.M): continue
            c.source = "\n".join(l for l in c.source.splitlines() if not l.startswith("#|")).strip()
            c.outputs = [o for o in c.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                         and (o.get("output_type") != "display_data" or "text/plain" in o.get("data", {}))]
            for o in c.outputs:  # keep plain text renderings only: README is read on a forge
                if "data" in o: o["data"] = {"text/plain": o["data"]["text/plain"]} if "text/plain" in o["data"] else {}
        keep.append(c)
    nb.cells = keep
    body, _ = MarkdownExporter().from_notebook_node(nb)
    body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
    dst.write_text(body + "\n<!-- generated from nbs/index.ipynb by scripts/make_readme.py: edit the notebook, not this file -->\n")
    print(f"wrote {dst} ({len(body)} chars)")

if __name__ == "__main__": main(*map(Path, sys.argv[1:]))
