#!/usr/bin/env python3
"""The look-ahead fill (issue 16 item 4, session 11): docs/experiments/selection.md
"A fill judged by a trial step, written down before it ran (session 11)".

    python3 tools/select-look.py screen OUTDIR     # LA, D and the nine baselines, seeds 101..110, the 20 cases
    python3 tools/select-look.py heldout OUTDIR    # the same, seeds 111..130, the 20 cases (failing cells first)
    python3 tools/select-look.py table OUTDIR      # the verdict and the compact table (select-fill.py's)

TINTIN_DLL = the Release tintin.dll to run (copy it to a private directory first); one experiment at a time.
"""
import importlib.util, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("selfill", os.path.join(HERE, "select-fill.py"))
sf = importlib.util.module_from_spec(spec); spec.loader.exec_module(sf)
sc = sf.sc

LA = "gradmag+lookahead+lambda512"
SCREEN_FIRST, SCREEN_N, SCREEN_STOP = 101, 10, "17:35"
HELDOUT_FIRST, HELDOUT_N, HELDOUT_STOP = 111, 20, "17:55"
HELDOUT_ORDER = ["S-c3-labels1", "L-c3-datatest", "S-c3", "M-c3"]
sf.CANDIDATES = [LA]        # the table's candidates (the choice among one)
sf.SHORT[LA] = "LA"

def run(outdir, first, n, stop, order):
    os.makedirs(outdir, exist_ok=True)
    m48 = sf.m48_of(outdir)
    cases = dict(sc.CASES)
    for name in order + [c for c, _ in sc.CASES if c not in order]:
        sf.run_case(outdir, name, cases[name], first, n, [LA] + sf.BASELINES, m48, stop)

if __name__ == "__main__":
    if len(sys.argv) != 3: sys.exit(__doc__)
    cmd, outdir = sys.argv[1], sys.argv[2]
    if cmd == "screen": run(outdir, SCREEN_FIRST, SCREEN_N, SCREEN_STOP, [])
    elif cmd == "heldout": run(outdir, HELDOUT_FIRST, HELDOUT_N, HELDOUT_STOP, HELDOUT_ORDER)
    elif cmd == "table": sf.table(outdir)
    else: sys.exit(__doc__)
