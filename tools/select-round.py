#!/usr/bin/env python3
"""One more selection round (issue 16 item 4, session 9): docs/experiments/selection.md "One more round: top-first or priced,
written down before it ran".

    python3 tools/select-round.py screen OUTDIR STORED    # P and D on the robustness cases, seeds 31..50
    python3 tools/select-round.py heldout OUTDIR          # P, D and the nine baselines, seeds 51..70
    python3 tools/select-round.py table OUTDIR [STORED]   # the markdown table (screen: P paired with STORED's baselines)

STORED = the robustness check's OUTDIR (tools/select-check.py run). Needs `dotnet build -c Release tools/TinTin.Cli`.
"""
import importlib.util, json, os, subprocess, sys, time
import bisect

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("selcheck", os.path.join(HERE, "select-check.py"))
sc = importlib.util.module_from_spec(spec); spec.loader.exec_module(sc)

D = sc.D
P = "gradmag+priced+lambda512"
CANDIDATES = [D, P]
BASELINES = sc.BASELINES
HELDOUT_ORDER = ["S-c3", "M-c3", "L-c3", "S-c3-labels1"]
STOP = "12:00"

def args_for(args, first):
    a = list(args)
    i = a.index("--first-seed"); a[i + 1] = str(first)
    return a

def run_case(outdir, name, args, selections, m48):
    out = os.path.join(outdir, name + ".json")
    if os.path.exists(out): return
    sc.run_experiment(outdir, name, sc.TINTIN + ["experiment"] + [m48 if x == "@m48" else x for x in args] + [
        "--fractions", "12.5,25,50,100,profile", "--selections", ",".join(selections), "--reference", P, "--json", out + ".tmp"])

def m48_of(outdir): return sc.board_model(outdir)

def screen(outdir, stored):
    os.makedirs(outdir, exist_ok=True); m48 = m48_of(outdir)
    for name, args in sc.CASES:
        run_case(outdir, name, args_for(args, 31), [P, D], m48)

def heldout(outdir):
    os.makedirs(outdir, exist_ok=True); m48 = m48_of(outdir)
    names = HELDOUT_ORDER + [n for n, _ in sc.CASES if n not in HELDOUT_ORDER]
    cases = dict(sc.CASES)
    for name in names:
        if time.strftime("%H:%M", time.gmtime()) >= STOP:
            print(f"{name}: not started ({STOP} UTC)", flush=True); continue
        run_case(outdir, name, args_for(cases[name], 51), [P, D] + BASELINES, m48)

def sign_flip_p(d):
    """Exact two-sided sign-flip p, as PairedComparison.SignFlipP (n <= 20): share of sign patterns with |sum| >= |observed sum|."""
    n = len(d); observed = abs(sum(d)) - 1e-9; h = n // 2
    if observed <= 0: return 1.0
    def sums(x):
        out = [0.0]
        for v in x: out = [o + v for o in out] + [o - v for o in out]
        return out
    a, b = sums(d[:h]), sorted(sums(d[h:]))
    count = 0
    for x in a:
        count += len(b) - bisect.bisect_left(b, observed - x) + bisect.bisect_right(b, -observed - x)
    return count / (1 << n)

def acc(doc, sel, budget):
    for c in doc["Cells"]:
        if c["Selection"] == sel and c["Budget"] == budget: return c["Accuracy"]
    return None

def compare(ref, base):
    d = [r - b for r, b in zip(ref, base)]
    return dict(Mean=sum(d) / len(d), Wins=sum(x > 1e-9 for x in d), Losses=sum(x < -1e-9 for x in d),
                Ties=sum(abs(x) <= 1e-9 for x in d), P=sign_flip_p(d))

def table(outdir, stored=None):
    summary = {c: dict(worst=(1e9, ""), sig=[], beyond=[], s_c3=[]) for c in CANDIDATES}
    rows = []
    for name, _ in sc.CASES:
        path = os.path.join(outdir, name + ".json")
        if not os.path.exists(path):
            rows.append(f"| {name} | not run | | | | |"); continue
        doc = json.load(open(path))
        base = json.load(open(os.path.join(stored, name + ".json"))) if stored else doc
        if stored:  # determinism check: D re-run here equals D stored
            for b in doc["Budgets"]:
                if acc(doc, D, b["Label"]) != acc(base, D, b["Label"]):
                    print(f"WARNING {name} {b['Label']}: D differs from the stored run", file=sys.stderr)
        cells = {}
        for b in doc["Budgets"]:
            label = b["Label"]; full = sc.fits_full(doc, b)
            for cand in CANDIDATES:
                ref = acc(doc, cand, label)
                comps = [(bl, compare(ref, acc(base, bl, label))) for bl in BASELINES]
                counted = [(bl, c) for bl, c in comps if not (bl in sc.FIXED and full)]
                bl, w = min(counted, key=lambda t: t[1]["Mean"])
                mark = "**" if w["Mean"] < -0.5 else ""
                cells[(cand, label)] = f"{mark}{w['Mean']:+.2f} {short(bl)}{mark} {w['Wins']}/{w['Losses']}/{w['Ties']} p {pf(w['P'])}"
                if full: cells[(cand, label)] = "full update fits"
                s = summary[cand]
                if w["Mean"] < s["worst"][0]: s["worst"] = (w["Mean"], f"{name} {label} vs {bl}")
                for bl2, c in counted:
                    if c["Mean"] < -0.5:
                        s["beyond"].append(f"{name} {label} {c['Mean']:+.2f} vs {bl2} ({c['Wins']}/{c['Losses']}/{c['Ties']}, p = {c['P']:.3f})")
                        if c["P"] < 0.05: s["sig"].append(s["beyond"][-1])
                if name == "S-c3" and label in ("12.5", "25"):
                    for bl2, c in comps:
                        if bl2 in ("random", "topdown", "random+lambda1024", "topdown+lambda1024"):
                            s["s_c3"].append((label, bl2, c["Mean"], c["P"]))
        labels = [b["Label"] for b in doc["Budgets"] if b["Label"] != "100"]
        rows.append(f"| {name} | " + " | ".join(cells[(D, l)] if cells[(D, l)] == "full update fits" else
                                               " · ".join(f"{short(c)} {cells[(c, l)]}" for c in CANDIDATES) for l in labels) + " |")
    print("| case (seeds %s) | 12.5 %% | 25 %% | 50 %% | profile budget |" % "..".join(str(x) for x in (doc["Seeds"][0], doc["Seeds"][-1])))
    print("| --- | --- | --- | --- | --- |")
    for r in rows: print(r)
    print()
    for cand in CANDIDATES:
        s = summary[cand]
        plus2 = all(m >= 2.0 and p < 0.05 for _, _, m, p in s["s_c3"]) and len(s["s_c3"]) == 8
        print(f"{cand}: worst {s['worst'][0]:+.2f} ({s['worst'][1]}); beyond 0.5: {len(s['beyond'])}, significant: {len(s['sig'])}; "
              f"S-c3 +2 (b): {'yes' if plus2 else 'NO'} " + ", ".join(f"{l} {short(b)} {m:+.2f} p={p:.3f}" for l, b, m, p in s["s_c3"]))
        for x in s["beyond"]: print("   ", x, "(significant)" if x in s["sig"] else "")

def pf(p):
    return "< .001" if p < 0.001 else f"{p:.3f}".lstrip("0")

def short(s):
    return {D: "D", P: "P", "gradmag+layers+lambda1024": "old gradmag", "fisher+layers+lambda1024": "old fisher"}.get(
        s, s.replace("+lambda1024", " λ1024"))

if __name__ == "__main__":
    if len(sys.argv) < 3: sys.exit(__doc__)
    cmd, outdir = sys.argv[1], sys.argv[2]
    if cmd == "screen": screen(outdir, sys.argv[3])
    elif cmd == "heldout": heldout(outdir)
    elif cmd == "table": table(outdir, sys.argv[3] if len(sys.argv) > 3 else None)
    else: sys.exit(__doc__)
