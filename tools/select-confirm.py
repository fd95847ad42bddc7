#!/usr/bin/env python3
"""The goal at its own budgets (issue 16 item 4, session 12): docs/experiments/selection.md
"The goal at its own budgets: a confirmation written down before it ran (session 12)".

    python3 tools/select-confirm.py run OUTDIR      # D and the nine baselines, seeds 131..150, the 20 cases (judged first)
    python3 tools/select-confirm.py table OUTDIR    # the criterion's verdict (12.5 and 25 % only), then every budget

D = the default (gradmag+topfirst+lambda512), unchanged. Judged at 12.5 % and 25 % only; 50 % and the profile budget
are run and printed in the same tables, not judged. A case not finished by 23:20 UTC makes the result incomplete.
TINTIN_DLL = the Release tintin.dll to run (copy it to a private directory first); one experiment at a time.
The statistics are select-round.py's (exact sign-flip p as PairedComparison.SignFlipP); the runs select-fill.py's.
"""
import importlib.util, json, os, sys, time, calendar

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("selfill", os.path.join(HERE, "select-fill.py"))
sf = importlib.util.module_from_spec(spec); spec.loader.exec_module(sf)
sc, sr = sf.sc, sf.sr

D = sc.D
BASELINES = sc.BASELINES                  # the nine: session 11's ten without D itself
FIRST, N = 131, 20                        # seeds 131..150, never run before this rule
DEADLINE = "23:20"                        # UTC: no case starts after it; one finishing after it makes the result incomplete
ORDER = ["S-c3", "M-c3", "L-c3", "S-c3-labels1", "L-c3-datatest"]   # judged-first cases, then the rest in CASES order
JUDGED = ("12.5", "25")                   # the goal's budgets: the criterion looks only at these
PLUS2 = ("random", "topdown", "random+lambda1024", "topdown+lambda1024")

def names(): return ORDER + [c for c, _ in sc.CASES if c not in ORDER]

def run(outdir):
    os.makedirs(outdir, exist_ok=True)
    m48 = sf.m48_of(outdir)
    cases = dict(sc.CASES)
    for name in names():
        sf.run_case(outdir, name, cases[name], FIRST, N, [D] + BASELINES, m48, DEADLINE)

def finished_late(outdir, path):
    """True if the case's JSON was written after DEADLINE UTC on the day the run started (m48.ttm's day)."""
    start = os.path.getmtime(os.path.join(outdir, "m48.ttm"))
    day = time.gmtime(start)
    h, m = map(int, DEADLINE.split(":"))
    cutoff = calendar.timegm((day.tm_year, day.tm_mon, day.tm_mday, h, m, 0))
    if cutoff < start: cutoff += 86400
    return os.path.getmtime(path) > cutoff

def comparisons(doc, label):
    """(baseline, comparison, counted) for D − each of the nine at one budget; first-layer / last-layer where the
    budget fits the full update are not counted (D trains everything there)."""
    b = next(x for x in doc["Budgets"] if x["Label"] == label)
    full = sc.fits_full(doc, b)
    ref = sr.acc(doc, D, label)
    return full, [(bl, sr.compare(ref, sr.acc(doc, bl, label)), not (bl in sc.FIXED and full)) for bl in BASELINES]

def fmt(bl, c):
    return f"{c['Mean']:+.2f} {sf.short(bl)} {c['Wins']}/{c['Losses']}/{c['Ties']}, p {sr.pf(c['P'])}"

def table(outdir):
    docs, missing, late = {}, [], []
    for name in names():
        path = os.path.join(outdir, name + ".json")
        if not os.path.exists(path): missing.append(name); continue
        docs[name] = json.load(open(path))
        if finished_late(outdir, path): late.append(name)
        if docs[name]["Seeds"] != list(range(FIRST, FIRST + N)):
            sys.exit(f"{name}: seeds {docs[name]['Seeds']} are not {FIRST}..{FIRST + N - 1}")
    # (a) at 12.5 and 25 %: every counted mean below -0.5 is listed; one with p < 0.05 fails the criterion
    beyond, sig, worst = [], [], (1e9, "")
    for name, doc in docs.items():
        for label in JUDGED:
            _, comps = comparisons(doc, label)
            for bl, c, counted in comps:
                where = f"{name} {label} %: {fmt(bl, c)}"
                if not counted:
                    if c["Mean"] < -0.5: beyond.append(where + " (not counted: the budget fits the full update)")
                    continue
                if c["Mean"] < worst[0]: worst = (c["Mean"], where)
                if c["Mean"] < -0.5:
                    beyond.append(where)
                    if c["P"] < 0.05: sig.append(where)
    # (b) S-c3 at 12.5 and 25 %: D − random, − topdown, − random λ1024, − topdown λ1024 each >= +2.0 with p < 0.05
    plus2 = []
    if "S-c3" in docs:
        for label in JUDGED:
            _, comps = comparisons(docs["S-c3"], label)
            plus2 += [(label, bl, c) for bl, c, _ in comps if bl in PLUS2]
    ok_a = not sig
    ok_b = len(plus2) == 2 * len(PLUS2) and all(c["Mean"] >= 2.0 and c["P"] < 0.05 for _, _, c in plus2)
    complete = not missing and not late
    verdict = ("INCOMPLETE" if not complete else "HOLDS" if ok_a and ok_b else "DOES NOT HOLD")
    print(f"Verdict (seeds {FIRST}..{FIRST + N - 1}, judged at 12.5 and 25 %): the goal at its own budgets {verdict} "
          f"on fresh seeds; (a) {'met' if ok_a else 'NOT met'}, (b) {'met' if ok_b else 'NOT met'}"
          + (f"; not run: {', '.join(missing)}" if missing else "")
          + (f"; finished after {DEADLINE} UTC: {', '.join(late)}" if late else ""))
    print(f"(a) worst counted mean at 12.5/25 %: {worst[1]}; means below -0.5: {len([x for x in beyond if 'not counted' not in x])}, "
          f"of which p < 0.05: {len(sig)}")
    for x in beyond: print("    below -0.5:", x, "(SIGNIFICANT)" if x in sig else "")
    print("(b) S-c3: " + ", ".join(f"{l} % {sf.short(bl)} {c['Mean']:+.2f} ({c['Wins']}/{c['Losses']}/{c['Ties']}, "
                                  f"p {sr.pf(c['P'])})" for l, bl, c in plus2))
    # every budget, judged or not: the worst mean per case and budget, then every mean below -0.5 at 50 % / profile
    print()
    print(f"| case (seeds {FIRST}..{FIRST + N - 1}) | 12.5 % (judged) | 25 % (judged) | 50 % (not judged) | profile (not judged) |")
    print("| --- | --- | --- | --- | --- |")
    unjudged = []
    for name in names():
        if name not in docs: print(f"| {name} | not run | | | |"); continue
        doc, cells = docs[name], []
        for label in ("12.5", "25", "50", "profile"):
            full, comps = comparisons(doc, label)
            counted = [(bl, c) for bl, c, k in comps if k]
            bl, w = min(counted, key=lambda t: t[1]["Mean"])
            mark = "**" if w["Mean"] < -0.5 else ""
            cells.append("full update fits" if full and label == "profile" else f"{mark}{fmt(bl, w)}{mark}")
            if label not in JUDGED:
                for bl2, c, k in comps:
                    if c["Mean"] < -0.5:
                        unjudged.append(f"{name} {label}: {fmt(bl2, c)}{'' if k else ' (not counted: fits the full update)'}"
                                        f"; D {sc.per_layer(doc, D, label)}, {sf.short(bl2)} {sc.per_layer(doc, bl2, label)}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print("not judged, reported: every mean below -0.5 at 50 % and the profile budget (final selections bottom/.../top):")
    for x in unjudged: print("   ", x)
    if not unjudged: print("    none")

if __name__ == "__main__":
    if len(sys.argv) != 3: sys.exit(__doc__)
    cmd, outdir = sys.argv[1], sys.argv[2]
    if cmd == "run": run(outdir)
    elif cmd == "table": table(outdir)
    else: sys.exit(__doc__)
