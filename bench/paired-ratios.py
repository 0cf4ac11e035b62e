#!/usr/bin/env python3
"""Per-round ratios of a run of ../shared/bench/run.sh, and how much CPU the hypervisor took.

The report's medians take each target's median from whichever round gave it, so a machine that slows down during a
run moves one target's cell and not another's. Rounds are interleaved: within one round every target meets the same
machine, so the ratio inside a round is the fairer comparison, and the spread of those ratios says how far one run
can be trusted. Two entries for the same server (run-shared.sh's `nginx-token` in the echo scenarios, or a
`TOLLGATE_VARIANTS` twin) show the spread an identical target gets.

    bench/paired-ratios.py RESULTS.txt [--target PREFIX] [--pair A/B ...]
        # PREFIX: the targets compared with every other one (default: tollgate); --pair adds one more comparison,
        # e.g. --pair nginx-token/nginx for two entries of the same server
"""
import argparse
import collections
import statistics
import sys

STEAL_WARNING = 10  # % of one CPU, median over a scenario's runs: above it the hypervisor, not the targets, sets the pace


def read(path):
    runs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("target="):
                continue
            fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            try:
                runs.append({
                    "target": fields["target"], "scenario": fields["scenario"], "round": int(fields["round"]),
                    "rate": float(fields["rate"]), "p99": float(fields["p99_us"]),
                    "steal": float(fields.get("cpu_steal", 0)),
                })
            except (KeyError, ValueError):
                continue  # the idle scenario's lines have no rate; a damaged line is not a measurement
    return runs


def quartiles(values):
    s = sorted(values)
    return s[0], s[len(s) // 4], statistics.median(s), s[(3 * len(s)) // 4], s[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="results.txt written by run.sh")
    parser.add_argument("--target", default="tollgate", help="compare the targets whose name starts with this")
    parser.add_argument("--max-steal", type=float, default=STEAL_WARNING, metavar="PCT",
                        help="the last columns keep the rounds in which neither run lost more than this %% of a CPU to the hypervisor")
    parser.add_argument("--pair", action="append", default=[], metavar="A/B", help="one more ratio, A over B")
    args = parser.parse_args()

    runs = read(args.results)
    if not runs:
        raise SystemExit(f"{args.results}: no measured runs (lines starting with 'target=' and a rate)")
    by_round = collections.defaultdict(dict)
    for r in runs:
        by_round[(r["scenario"], r["round"])][r["target"]] = r
    scenarios = list(dict.fromkeys(r["scenario"] for r in runs))
    targets = list(dict.fromkeys(r["target"] for r in runs))
    compared = [t for t in targets if t.startswith(args.target)]
    references = [t for t in targets if t != "direct" and t not in compared]
    if not compared:
        raise SystemExit(f"no target starts with '{args.target}' (targets: {', '.join(targets)})")

    extra = []
    for pair in args.pair:
        a, sep, b = pair.partition("/")
        if not sep:
            raise SystemExit(f"--pair {pair}: give two targets as A/B, e.g. --pair nginx-token/nginx")
        if a not in targets or b not in targets:
            print(f"(--pair {pair}: this run has no such target, skipped; targets: {', '.join(targets)})", file=sys.stderr)
            continue
        extra.append((a, b))

    print("Per-round ratios: both targets measured in the same round; min / lower quartile / median / upper quartile / max.\n")
    clean_note = f"steal ≤ {args.max_steal:g}"
    print(f"| scenario | ratio | rounds | msgs/s ratio | rounds ≥ 1 | p99 ratio | rounds p99 ≤ | rounds with {clean_note} in both | their msgs/s ratio, median | their p99 ratio, median |")
    print("|---|---|--:|---|--:|---|--:|--:|--:|--:|")
    pairs = [(a, b) for a in compared for b in references] + [
        (a, b) for i, a in enumerate(compared) for b in compared[i + 1:]] + extra
    for s in scenarios:
        for a, b in pairs:
            # (msgs/s ratio, p99 ratio, the larger steal of the two runs) for each round that measured both
            per_round = [(t[a]["rate"] / t[b]["rate"], t[a]["p99"] / t[b]["p99"], max(t[a]["steal"], t[b]["steal"]))
                         for (sc, _), t in sorted(by_round.items())
                         if sc == s and a in t and b in t and t[b]["rate"] > 0 and t[b]["p99"] > 0]
            if not per_round:
                continue
            rate = [r for r, _, _ in per_round]
            p99 = [p for _, p, _ in per_round]
            clean = [(r, p) for r, p, steal in per_round if steal <= args.max_steal]
            clean_rate = f"{statistics.median(r for r, _ in clean):.2f}" if clean else "-"
            clean_p99 = f"{statistics.median(p for _, p in clean):.2f}" if clean else "-"
            print(f"| {s} | {a} / {b} | {len(per_round)} | {' / '.join(f'{x:.2f}' for x in quartiles(rate))} | "
                  f"{sum(x >= 1 for x in rate)} | {' / '.join(f'{x:.2f}' for x in quartiles(p99))} | {sum(x <= 1 for x in p99)} | "
                  f"{len(clean)} | {clean_rate} | {clean_p99} |")

    print("\nCPU the hypervisor took (`cpu_steal`, % of one CPU, over every run of the scenario):\n")
    print("| scenario | median | max |")
    print("|---|--:|--:|")
    warnings = []
    for s in scenarios:
        steal = [r["steal"] for r in runs if r["scenario"] == s]
        median = statistics.median(steal)
        print(f"| {s} | {median:g} | {max(steal):g} |")
        if median > STEAL_WARNING:
            warnings.append(f"{s}: the hypervisor took a median {median:g} % of a CPU; its ratios measure the host, not the targets")
    for w in warnings:
        print(f"\nWARNING {w}.")


if __name__ == "__main__":
    main()
