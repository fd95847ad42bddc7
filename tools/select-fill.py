#!/usr/bin/env python3
"""A fill that can take a whole low layer (issue 16 item 4, session 10): docs/experiments/selection.md
"A fill that takes a low layer when it pays, written down before it ran".

    python3 tools/select-fill.py screen OUTDIR            # K128, K64, W, D and the nine baselines, seeds 71..80, 20 cases
    python3 tools/select-fill.py heldout OUTDIR CAND      # CAND, D and the nine baselines, seeds 81..100, 20 cases
    python3 tools/select-fill.py table OUTDIR             # per-candidate verdict and the compact table

TINTIN_DLL = the Release tintin.dll to run (copy it to a private directory first, so a rebuild does not change it
mid-run); default: the worktree's tools/TinTin.Cli/bin/Release/net10.0/tintin.dll.
"""
import importlib.util, json, os, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
def load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); return m
sc = load("selcheck", "select-check.py")
sr = load("selround", "select-round.py")

D = sc.D
K128 = "gradmag+topfirst+lambda512+layersbelow128"
K64 = "gradmag+topfirst+lambda512+layersbelow64"
W = "gradmag+whole+lambda512"
CANDIDATES = [K128, K64, W]            # also the tie order of the choice
BASELINES = sc.BASELINES + [D]          # the check's nine and the current default
SCREEN_STOP, HELDOUT_STOP = "14:30", "15:08"
HELDOUT_ORDER = ["S-c3-labels1", "S-c3", "M-c3"]
TINTIN = ["dotnet", os.environ.get("TINTIN_DLL", sc.TINTIN[1])]
SHORT = {D: "D", K128: "K128", K64: "K64", W: "W", "gradmag+layers+lambda1024": "old default",
         "fisher+layers+lambda1024": "old fisher"}

def short(s): return SHORT.get(s, s.replace("+lambda1024", " λ1024"))

def run_case(outdir, name, args, first, n, selections, m48, stop):
    out = os.path.join(outdir, name + ".json")
    if os.path.exists(out): return
    if time.strftime("%H:%M", time.gmtime()) >= stop:
        print(f"{name}: not started ({stop} UTC)", flush=True); return
    a = list(args)
    i = a.index("--first-seed"); a[i + 1] = str(first)
    i = a.index("--seeds"); a[i + 1] = str(n)
    sc.run_experiment(outdir, name, TINTIN + ["experiment"] + [m48 if x == "@m48" else x for x in a] + [
        "--fractions", "12.5,25,50,100,profile", "--selections", ",".join(selections), "--reference", selections[0],
        "--json", out + ".tmp"])

def m48_of(outdir): return sc.board_model(outdir, TINTIN)

def screen(outdir):
    os.makedirs(outdir, exist_ok=True); m48 = m48_of(outdir)
    for name, args in sc.CASES:
        run_case(outdir, name, args, 71, 10, CANDIDATES + BASELINES, m48, SCREEN_STOP)

def heldout(outdir, cand):
    os.makedirs(outdir, exist_ok=True); m48 = m48_of(outdir)
    cases = dict(sc.CASES)
    for name in HELDOUT_ORDER + [n for n, _ in sc.CASES if n not in HELDOUT_ORDER]:
        run_case(outdir, name, cases[name], 81, 20, [cand] + BASELINES, m48, HELDOUT_STOP)

def table(outdir):
    docs = {}
    for name, _ in sc.CASES:
        path = os.path.join(outdir, name + ".json")
        if os.path.exists(path): docs[name] = json.load(open(path))
    sels = set(c["Selection"] for d in docs.values() for c in d["Cells"])
    cands = [c for c in CANDIDATES + [D] if c in sels]
    verdict = {}
    for cand in cands:
        worst, beyond, sig, plus2 = (1e9, ""), [], [], []
        for name, doc in docs.items():
            for b in doc["Budgets"]:
                label, full = b["Label"], sc.fits_full(doc, b)
                ref = sr.acc(doc, cand, label)
                for bl in BASELINES:
                    if bl == cand: continue
                    if bl in sc.FIXED and full: continue
                    c = sr.compare(ref, sr.acc(doc, bl, label))
                    where = f"{name} {label} vs {short(bl)}: {c['Mean']:+.2f} ({c['Wins']}/{c['Losses']}/{c['Ties']}, p {sr.pf(c['P'])})"
                    if c["Mean"] < worst[0]: worst = (c["Mean"], where)
                    if c["Mean"] < -0.5:
                        beyond.append(where)
                        if c["P"] < 0.05: sig.append(where)
                    if name == "S-c3" and label in ("12.5", "25") and bl in ("random", "topdown", "random+lambda1024", "topdown+lambda1024"):
                        plus2.append((label, bl, c["Mean"], c["P"]))
        ok2 = len(plus2) == 8 and all(m >= 2.0 and p < 0.05 for _, _, m, p in plus2)
        verdict[cand] = dict(worst=worst, beyond=beyond, sig=sig, ok2=ok2, qualifies=not sig and ok2)
        print(f"{short(cand)} ({cand}): {'QUALIFIES' if not sig and ok2 else 'does not qualify'}; worst {worst[1]}; "
              f"beyond 0.5: {len(beyond)}, significant: {len(sig)}; S-c3 +2: {'yes' if ok2 else 'NO'} ("
              + ", ".join(f"{l} {short(b)} {m:+.2f} p {sr.pf(p)}" for l, b, m, p in plus2) + ")")
        for x in beyond: print("    beyond 0.5:", x, "(significant)" if x in sig else "")
    # choice by the rule: qualifying first, then the fewest losses beyond 0.5, then the best worst mean (0.10 ties: list order)
    pool = [c for c in CANDIDATES if c in verdict]
    if pool:
        q = [c for c in pool if verdict[c]["qualifies"]]
        if q: key = lambda c: (len(verdict[c]["beyond"]),)
        else: q, key = pool, (lambda c: (len(verdict[c]["sig"]),))
        best_key = min(key(c) for c in q)
        q = [c for c in q if key(c) == best_key]
        top = max(verdict[c]["worst"][0] for c in q)
        chosen = [c for c in q if verdict[c]["worst"][0] >= top - 0.10][0]
        print(f"choice by the rule: {short(chosen)} ({chosen})")
    # compact table: per case and budget, each candidate's worst mean difference and D's
    print()
    print("| case | budget | " + " | ".join(short(c) for c in cands) + " |")
    print("| --- | --- |" + " --- |" * len(cands))
    for name, doc in docs.items():
        for b in doc["Budgets"]:
            label = b["Label"]
            if label == "100": continue
            full = sc.fits_full(doc, b)
            cells = []
            for cand in cands:
                ref = sr.acc(doc, cand, label)
                comps = [(bl, sr.compare(ref, sr.acc(doc, bl, label))) for bl in BASELINES if bl != cand
                         and not (bl in sc.FIXED and full)]
                bl, w = min(comps, key=lambda t: t[1]["Mean"])
                mark = "**" if w["Mean"] < -0.5 else ""
                cells.append(f"{mark}{w['Mean']:+.2f}{mark} {short(bl)} p {sr.pf(w['P'])}")
            print(f"| {name} | {label}{' (full fits)' if full else ''} | " + " | ".join(cells) + " |")

if __name__ == "__main__":
    if len(sys.argv) < 3: sys.exit(__doc__)
    cmd, outdir = sys.argv[1], sys.argv[2]
    if cmd == "screen": screen(outdir)
    elif cmd == "heldout" and len(sys.argv) > 3: heldout(outdir, sys.argv[3])
    elif cmd == "table": table(outdir)
    else: sys.exit(__doc__)
