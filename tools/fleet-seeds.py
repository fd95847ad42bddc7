#!/usr/bin/env python3
"""Goal 3 of issue 15, read per board over seeds (docs/experiments/fleet.md, "Session 9").

Runs one `tintin fleet simulate` variant over seeds x the four layouts (rotated 4, disjoint 4, recordings 4,
recordings 6), one simulation at a time, keeping every run's JSON, and prints:
  - per (layout, board): mean delta (fleet - isolated prequential accuracy, points) over the seeds with a 95 %
    t-interval (df = seeds - 1), marked "above 0" / "below 0";
  - the per-run counts: boards that lose, losses > 0.5 pt, worst delta, the fewest-label board's mean (min ... max)
    and gains, mean delta over all boards, mean bytes a board sent;
  - the goal-3 reading: (layout, board)s whose interval lies below 0, and the layouts whose fewest-label board has
    mean >= +0.50 with its interval above 0;
  - the lowest (layout, board) mean (session 10's screening excludes a candidate whose lowest mean is below -0.5).

  tools/fleet-seeds.py run DIR SEEDS [-- FLAGS...]     e.g. run /tmp/m40 0-8 -- --similarity-merge all ...
  tools/fleet-seeds.py table SEEDS DIR [DIR...]        the tables for runs already in DIR (several: side by side)

and (session 12) the fewest-label board's merges a run: labelled, taken, declined (on its stored labels), rolled back.

A run whose JSON is already in DIR is not run again. TINTIN (env) = path of tintin.dll
(default tools/TinTin.Cli/bin/Release/net10.0/tintin.dll); copy the build elsewhere if you rebuild meanwhile.
"""
import json
import math
import os
import subprocess
import sys

LAYOUTS = [("rotated 4", 4, "rotated"), ("disjoint 4", 4, "disjoint"), ("recordings 4", 4, "recordings"), ("recordings 6", 6, "recordings")]
# two-sided 95 % Student t quantiles, df 1..30
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def seeds_of(text):
    out = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def path_of(directory, boards, layout, seed):
    return os.path.join(directory, f"{layout}-{boards}-s{seed}.json")


def run(directory, seeds, flags):
    tintin = os.environ.get("TINTIN", "tools/TinTin.Cli/bin/Release/net10.0/tintin.dll")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "flags.txt"), "w") as f:
        f.write(" ".join(flags) + "\n")
    for seed in seeds:
        for _, boards, layout in LAYOUTS:
            target = path_of(directory, boards, layout, seed)
            if os.path.exists(target):
                continue
            cmd = ["dotnet", tintin, "fleet", "simulate", "--boards", str(boards), "--layout", layout, "--seed", str(seed), "--json"] + flags
            result = subprocess.run(cmd, capture_output=True, text=True)
            if result.returncode != 0:
                sys.exit(f"failed ({result.returncode}): {' '.join(cmd)}\n{result.stderr}")
            with open(target + ".tmp", "w") as f:
                f.write(result.stdout)
            os.replace(target + ".tmp", target)
            print(f"{directory}: {layout} {boards} seed {seed} done", flush=True)


def interval(values):
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, float("nan"), float("nan")
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    df = n - 1
    t = T975[df - 1] if df <= len(T975) else 1.96 + 2.4 / df  # beyond df 30 within 0.003 of the exact quantile
    half = t * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def sign(x):
    return f"{x:+.2f}".replace("-", "\u2212")


def load(directory, seeds):
    """{(label, board index): [delta per seed]}, per-run records, fewest-label board index per layout."""
    deltas, runs, fewest = {}, [], {}
    for label, boards, layout in LAYOUTS:
        for seed in seeds:
            target = path_of(directory, boards, layout, seed)
            if not os.path.exists(target):
                continue
            data = json.load(open(target))
            bs = data["boards"]
            # the fewest-label board: the lowest label rate (the last board in every layout)
            low = min(range(len(bs)), key=lambda i: (bs[i]["label_fraction"], -i))
            fewest[label] = low
            d = [(b["fleet_accuracy"] - b["isolated_accuracy"]) * 100 for b in bs]
            for i, x in enumerate(d):
                deltas.setdefault((label, i), []).append(x)
            runs.append({"label": label, "seed": seed, "d": d, "fewest": d[low], "sent": [b["bytes_sent"] for b in bs]})
    return deltas, runs, fewest


def summary(directory, seeds):
    deltas, runs, fewest = load(directory, seeds)
    all_d = [x for r in runs for x in r["d"]]
    few = [r["fewest"] for r in runs]
    sent = [s for r in runs for s in r["sent"]]
    below, clear, lowest = [], [], None
    for label, boards, _ in LAYOUTS:
        for i in range(boards):
            v = deltas.get((label, i))
            if not v:
                continue
            m, lo, hi = interval(v)
            if lowest is None or m < lowest[0]:
                lowest = (m, f"{label} board{i + 1}")
            if hi < 0:
                below.append(f"{label} board{i + 1}")
            if i == fewest.get(label) and m >= 0.5 and lo > 0:
                clear.append(label)
    return {
        "runs": len(runs), "board_runs": len(all_d),
        "lose": sum(1 for x in all_d if x < 0), "big": sum(1 for x in all_d if x < -0.5),
        "worst": min(all_d) if all_d else float("nan"),
        "few_mean": sum(few) / len(few) if few else float("nan"), "few_min": min(few) if few else float("nan"),
        "few_max": max(few) if few else float("nan"), "few_gain": sum(1 for x in few if x > 0),
        "mean": sum(all_d) / len(all_d) if all_d else float("nan"), "sent": sum(sent) / len(sent) / 1000 if sent else float("nan"),
        "few_pooled": interval(few) if len(few) > 1 else None,
        "below": below, "clear": clear, "deltas": deltas, "fewest": fewest, "lowest": lowest,
    }


def table(seeds, directories):
    sums = [summary(d, seeds) for d in directories]
    names = [os.path.basename(os.path.normpath(d)) for d in directories]
    print(f"seeds {seeds[0]}..{seeds[-1]} ({len(seeds)}); per (layout, board): mean delta [95 % t-interval, df {len(seeds) - 1}]\n")
    print("| layout, board | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for label, boards, _ in LAYOUTS:
        for i in range(boards):
            cells = []
            for s in sums:
                v = s["deltas"].get((label, i))
                if not v:
                    cells.append("")
                    continue
                m, lo, hi = interval(v)
                mark = " above 0" if lo > 0 else " **below 0**" if hi < 0 else ""
                n = "" if len(v) == len(seeds) else f" (n {len(v)})"
                cells.append(f"{sign(m)} [{sign(lo)}, {sign(hi)}]{mark}{n}")
            tag = " \u25c2" if sums and sums[0]["fewest"].get(label) == i else ""
            print(f"| {label}, board{i + 1}{tag} | " + " | ".join(cells) + " |")
    print("\nper run: lose / > 0.5 / worst / fewest-label mean (min \u2026 max), gains / mean delta / sent per board")
    print("\n| variant | runs | per run | fewest-label pooled [95 %] | lowest (layout, board) mean | boards below 0 | layouts fewest-label clearly better |")
    print("|---|---|---|---|---|---|---|")
    for name, s in zip(names, sums):
        p = s["few_pooled"]
        pooled = f"{sign(p[0])} [{sign(p[1])}, {sign(p[2])}]" if p else ""
        low = f"{sign(s['lowest'][0])} ({s['lowest'][1]})" if s["lowest"] else ""
        print(f"| {name} | {s['runs']} | {s['lose']} of {s['board_runs']} / {s['big']} / {sign(s['worst'])} / {sign(s['few_mean'])} "
              f"({sign(s['few_min'])} \u2026 {sign(s['few_max'])}), {s['few_gain']} of {s['runs']} / {sign(s['mean'])} / {s['sent']:.1f} kB "
              f"| {pooled} | {low} | {len(s['below'])}{': ' + ', '.join(s['below']) if s['below'] else ''} | {len(s['clear'])} of 4{': ' + ', '.join(s['clear']) if s['clear'] else ''} |")


def takes(seeds, directories):
    """The fewest-label board's merges a run (session 12): labelled samples, taken, declined (of them on its stored
    labels), rolled back, updates sent; means over the seeds each variant finished."""
    names = [os.path.basename(os.path.normpath(d)) for d in directories]
    print("\nfewest-label board a run (mean over seeds): labelled / taken / declined (on stored labels) / rolled back / updates sent\n")
    print("| layout | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for label, boards, layout in LAYOUTS:
        cells = []
        for d in directories:
            rows = []
            for seed in seeds:
                target = path_of(d, boards, layout, seed)
                if not os.path.exists(target):
                    continue
                bs = json.load(open(target))["boards"]
                b = bs[min(range(len(bs)), key=lambda i: (bs[i]["label_fraction"], -i))]
                rows.append((b["labelled"], b["merges_taken"], b["merges_declined"], b.get("declined_on_stored", float("nan")),
                             b["merges_rolled_back"], b["updates_sent"]))
            if not rows:
                cells.append("")
                continue
            m = []
            for k in range(6):
                known = [r[k] for r in rows if r[k] == r[k]]  # runs before session 12 have no declined_on_stored
                m.append(sum(known) / len(known) if known else float("nan"))
            cells.append(f"{m[0]:.0f} / {m[1]:.1f} / {m[2]:.1f} ({m[3]:.1f}) / {m[4]:.1f} / {m[5]:.1f}")
        print(f"| {label} | " + " | ".join(cells) + " |")


def main(argv):
    if len(argv) < 3 or argv[0] not in ("run", "table"):
        sys.exit(__doc__)
    if argv[0] == "run":
        flags = argv[argv.index("--") + 1:] if "--" in argv else []
        run(argv[1], seeds_of(argv[2]), flags)
        table(seeds_of(argv[2]), [argv[1]])
        takes(seeds_of(argv[2]), [argv[1]])
    else:
        table(seeds_of(argv[1]), argv[2:])
        takes(seeds_of(argv[1]), argv[2:])


if __name__ == "__main__":
    main(sys.argv[1:])
