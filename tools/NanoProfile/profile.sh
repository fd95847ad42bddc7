#!/bin/bash
# Native instructions of one engine step on nanoCLR (nanoclr32 under valgrind callgrind), the
# default model (firmware/TinTin.Firmware/DefaultModel.g.cs) with the firmware's learner config.
# Two run lengths are subtracted, so start-up cancels:
#   tools/NanoProfile/profile.sh MODE [N]     (N and 3N iterations; default N = 20)
# MODE (see EngineSteps.cs.template): 0 Network.Forward, 1 ContinualLearner.Observe (prediction),
# 2 Network.TrainSample, 3 eight TrainSample + Step, 5 Reselect, 6 InputNormalizer.Normalize,
# 8 softmax/loss forward+backward, 9 Network.Backward, 10 LabelRecent, 11/12/13 layer 0/1/2 Forward,
# 14 OpCounters.Add, 16/17/18 layer 2/1/0 Backward (N ≤ 40: they accumulate), 15 Observe + label + UpdateIfDue (one update per iteration), 25 BatchBuilder.Build,
# 30 FisherScorer.AddSample (forward + scoring backward + accumulate), 31 FisherScorer.Accumulate, 32 Network.Backward in
# ScoringMode, 33 Network.Forward in ScoringMode, 34 ChannelSelector.SelectSparse (from the start-up scores);
# the bench's steady state (history full, every sample labelled, replay filled first): 40 Observe + LabelRecent + UpdateIfDue
# (an update every iteration; N = 20 gave 0.83 M more than N = 10, the longer runs reaching more re-selections: compare equal N),
# 41 LabelRecent, 42 BatchBuilder.Build (no sample pending there: 8 replay picks), 43 Observe; the dense kernels alone (no layer, counters or alignment): 50/51 Forward of layer 0/2, 52 BackwardWeights of
# layer 2, 53 BackwardInput of layer 2, 54 BackwardWeights of layer 0, 55 QMath.RequantizeToInt8Fast of 16 values.
# Counts vary by about ±10,000 between runs (the interpreter's housekeeping): compare small steps with larger N.
# Needs `dotnet build TinTinNano.sln` (build/nano-out) and valgrind. CPU-heavy: run sparingly.
set -e
MODE=${1:?mode}; N=${2:-20}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
R=${NANO_RUNTIME:-}
if [ -z "$R" ]; then d=$ROOT; while [ "$d" != / ]; do [ -d "$d/shared/nano-runtime" ] && R=$d/shared/nano-runtime && break; d=$(dirname "$d"); done; fi
[ -n "$R" ] || { echo "nanoFramework runtime not found (NANO_RUNTIME or shared/nano-runtime above the repository)"; exit 4; }
csc="$(dirname "$(readlink -f "$(command -v dotnet)")")/sdk/$(dotnet --version)/Roslyn/bincore/csc.dll"
run() {
  O=$(mktemp -d)
  sed "s/NCOUNT/$2/; s/MODE;/$1;/" "$ROOT/tools/NanoProfile/EngineSteps.cs.template" > $O/Prof.cs
  dotnet "$csc" -nologo -nostdlib -noconfig -optimize+ -langversion:9.0 -define:NANOFRAMEWORK_1_0 -t:exe \
    -r:$R/ref/mscorlib.dll -r:$ROOT/build/nano-out/TinTin.Core.Nano.dll -out:$O/Prof.dll $O/Prof.cs "$ROOT/firmware/TinTin.Firmware/DefaultModel.g.cs" >&2
  $R/bin/nano-mdp $O/Prof.dll $O/Prof.pe $R/ref/mscorlib.dll $ROOT/build/nano-out/TinTin.Core.Nano.dll >/dev/null
  valgrind --tool=callgrind --callgrind-out-file=$O/cg.out $R/bin/nanoFramework.nanoCLR32 $R/pe/mscorlib.pe "$ROOT/build/nano-out/TinTin.Core.Nano.pe" $O/Prof.pe > $O/stdout 2>/dev/null
  grep -q done $O/stdout || { echo "run failed: $O/stdout" >&2; exit 3; }
  grep -E '^(totals|summary):' $O/cg.out | tail -1 | awk '{print $2}'
  rm -rf $O
}
a=$(run $MODE $N); b=$(run $MODE $((3 * N)))
echo "mode $MODE: $(( (b - a) / (2 * N) )) instructions per iteration ($N vs $((3 * N)) iterations)"
