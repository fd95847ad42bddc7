#!/usr/bin/env python3
"""Robustness check of the selection default (issue 16 item 4, session 9): docs/experiments/selection.md
"A robustness check of the new default, written down before it ran".

    python3 tools/select-check.py run OUTDIR [CASE ...]   # runs the cases (all, in the order below), one at a time
    python3 tools/select-check.py table OUTDIR            # the markdown table from OUTDIR/*.json

Every case is one paired `tintin experiment` selection study: the default spelled out (D =
gradmag+topfirst+lambda512) as the reference against nine baselines, fractions 12.5,25,50,100,profile.
Needs `dotnet build -c Release tools/TinTin.Cli` and, for the m48 cases, OUTDIR/m48.ttm (made by `run`).
"""
import json, os, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINTIN = ["dotnet", os.path.join(ROOT, "tools/TinTin.Cli/bin/Release/net10.0/tintin.dll")]
OCC = os.path.join(ROOT, "data/occupancy")
D = "gradmag+topfirst+lambda512"
# the rule's six at the flags' defaults before the switch (as in the held-out run), then today's fisher/topdown/random
BASELINES = ["gradmag+layers+lambda1024", "fisher+layers+lambda1024", "topdown+lambda1024", "random+lambda1024",
             "first-layer", "last-layer", "fisher", "topdown", "random"]
FIXED = ("first-layer", "last-layer")

S = ["--hidden", "32,24"]
M = ["--model", "@m48", "--board-features", "default"]
L = ["--board-features", "default", "--epochs", "4", "--lags", "4", "--hidden", "32,24"]
T16 = ["--hidden", "16,16"]
TEST1 = ["--train", os.path.join(OCC, "datatraining.txt"), "--stream", os.path.join(OCC, "datatest.txt")]

def seeds(first, n): return ["--first-seed", str(first), "--seeds", str(n)]

# name, model args, extra args; in priority order (run top to bottom)
CASES = [
    ("T16-esp32", T16 + ["--profile", "esp32"] + seeds(31, 20)),
    ("S-esp32", S + ["--profile", "esp32"] + seeds(31, 20)),
    ("M-esp32", M + ["--profile", "esp32"] + seeds(31, 20)),
    ("L-esp32", L + ["--profile", "esp32"] + seeds(31, 20)),
    ("S-c3-labels1", S + ["--profile", "esp32c3", "--label-fraction", "0.01"] + seeds(31, 20)),
    ("M-c3-labels1", M + ["--profile", "esp32c3", "--label-fraction", "0.01"] + seeds(31, 20)),
    ("S-c3-labels10", S + ["--profile", "esp32c3", "--label-fraction", "0.10"] + seeds(31, 20)),
    ("M-c3-labels10", M + ["--profile", "esp32c3", "--label-fraction", "0.10"] + seeds(31, 20)),
    ("M-c3-datatest", M + TEST1 + ["--profile", "esp32c3"] + seeds(31, 20)),
    # beyond the brief's scope, run if time allows, in this order
    ("S-c3", S + ["--profile", "esp32c3"] + seeds(31, 20)),
    ("M-c3", M + ["--profile", "esp32c3"] + seeds(31, 20)),
    ("L-c3", L + ["--profile", "esp32c3"] + seeds(31, 20)),
    ("S-c3-datatest", S + TEST1 + ["--profile", "esp32c3"] + seeds(31, 20)),
    ("L-c3-datatest", L + TEST1 + ["--profile", "esp32c3"] + seeds(31, 20)),
    ("L-c3-labels1", L + ["--profile", "esp32c3", "--label-fraction", "0.01"] + seeds(31, 20)),
    ("L-c3-labels10", L + ["--profile", "esp32c3", "--label-fraction", "0.10"] + seeds(31, 20)),
    ("T16-c3", T16 + ["--profile", "esp32c3"] + seeds(31, 20)),
    ("S-stm32f429", S + ["--profile", "stm32f429"] + seeds(31, 20)),
    ("M-stm32f429", M + ["--profile", "stm32f429"] + seeds(31, 20)),
    ("L-stm32f429", L + ["--profile", "stm32f429"] + seeds(31, 20)),
]

def command(args, out):
    return TINTIN + ["experiment"] + args + ["--fractions", "12.5,25,50,100,profile",
        "--selections", ",".join([D] + BASELINES), "--reference", D, "--json", out]

def board_model(outdir, tintin=TINTIN):
    """The board model m48 (6-48-24-2, prepared once per output directory): the "@m48" of the cases."""
    m48 = os.path.join(outdir, "m48.ttm")
    if not os.path.exists(m48):
        subprocess.run(tintin + ["prepare", "--csv", os.path.join(OCC, "datatraining.txt"), "--board-features", "default",
                                 "--epochs", "4", "--seed", "7", "--hidden", "48,24", "--out", m48],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return m48

def run_experiment(outdir, name, cmd):
    """Runs one case's experiment command (its --json goes to NAME.json.tmp), its output kept in NAME.txt; the JSON is
    renamed to NAME.json only when the run succeeds, so an interrupted run is repeated, a finished one never."""
    out = os.path.join(outdir, name + ".json")
    t0 = time.time()
    with open(os.path.join(outdir, name + ".txt"), "w") as log:
        log.write(" ".join(cmd) + "\n")
        log.flush()
        rc = subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        print(f"{name}: exit {rc} (see {name}.txt)", flush=True)
        return
    os.replace(out + ".tmp", out)
    print(f"{name}: {time.time() - t0:.0f} s", flush=True)

def run(outdir, names):
    os.makedirs(outdir, exist_ok=True)
    m48 = board_model(outdir)
    for name, args in CASES:
        if names and name not in names: continue
        out = os.path.join(outdir, name + ".json")
        if os.path.exists(out): continue
        run_experiment(outdir, name, command([m48 if a == "@m48" else a for a in args], out + ".tmp"))

def fits_full(doc, budget):
    return budget["Bytes"] >= doc["FullBytes"] and budget["Macs"] >= doc["FullUpdateMacs"]

def per_layer(doc, sel, budget):
    for c in doc["Cells"]:
        if c["Selection"] == sel and c["Budget"] == budget:
            n = len(c["SelectedPerLayer"])
            return "/".join(f"{sum(p[i] for p in c['SelectedPerLayer']) / n:.1f}" for i in range(len(c["SelectedPerLayer"][0])))
    return "?"

def table(outdir):
    print("| case | seeds | budget | worst mean difference (D − baseline) | W/L/T | sign-flip p | D − random / − topdown (λ 1024) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    beyond = []
    for name, args in CASES:
        path = os.path.join(outdir, name + ".json")
        if not os.path.exists(path):
            print(f"| {name} | | | not run | | | |")
            continue
        doc = json.load(open(path))
        sd = doc["Seeds"]
        budgets = {b["Label"]: b for b in doc["Budgets"]}
        for label, comps in doc["Comparisons"].items():
            b = budgets[label]
            counted = [c for c in comps if not (c["Baseline"] in FIXED and fits_full(doc, b))]
            w = min(counted, key=lambda c: c["Mean"])
            by = {c["Baseline"]: c for c in comps}
            ctx = f"{by['random+lambda1024']['Mean']:+.2f} / {by['topdown+lambda1024']['Mean']:+.2f}"
            note = " (fits the full update)" if fits_full(doc, b) else ""
            mark = "**" if w["Mean"] < -0.5 else ""
            print(f"| {name} | {sd[0]}..{sd[-1]} | {label}{note} | {mark}{w['Mean']:+.2f} vs {w['Baseline']}{mark} | "
                  f"{w['Wins']}/{w['Losses']}/{w['Ties']} | {w['PermutationP']:.3f} | {ctx} |")
            for c in comps:
                if c["Mean"] < -0.5:
                    beyond.append((name, label, c, c in counted))
            sig = [c for c in counted if c["Mean"] < 0 and c["PermutationP"] < 0.05]
            for c in sig:
                print(f"|  | | {label} | significant loss: {c['Mean']:+.2f} vs {c['Baseline']} | "
                      f"{c['Wins']}/{c['Losses']}/{c['Ties']} | {c['PermutationP']:.3f} | |")
    print()
    print("losses beyond 0.5 (counted unless said), with the final selections (bottom/.../top, mean over seeds):")
    for name, label, c, counted in beyond:
        doc = json.load(open(os.path.join(outdir, name + ".json")))
        print(f"  {name} {label}: {c['Mean']:+.2f} vs {c['Baseline']} {c['Wins']}/{c['Losses']}/{c['Ties']} "
              f"p = {c['PermutationP']:.3f}{'' if counted else ' (not counted: fits the full update)'}; "
              f"D {per_layer(doc, D, label)}, {c['Baseline']} {per_layer(doc, c['Baseline'], label)}; "
              f"differences {' '.join(f'{x:+.1f}' for x in c['Differences'])}")

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("run", "table"):
        sys.exit(__doc__)
    if sys.argv[1] == "run": run(sys.argv[2], sys.argv[3:])
    else: table(sys.argv[2])
