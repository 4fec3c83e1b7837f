#!/usr/bin/env python3
"""Prints a JMH JSON result file (-rf json) as a Markdown table.

Usage: table.py [jmh-result.json]

One row per benchmark x key x impl (x thread count), with the score, its error
(99.9% confidence half-width, as JMH reports it) and the ratio to the baseline
row of the same benchmark method, key and thread count: score / baseline score
(in throughput mode, >1 means faster than the baseline; in time-per-operation
modes, >1 means slower).

Which JMH parameter names the implementation, and which of its values is the
baseline, is set per benchmark class in BASELINES; the default is the `impl`
parameter with `jdk-in-process` as the baseline. Rows whose benchmark has no
baseline row (e.g. a floor measurement without that parameter) show n/a. The
threads column appears only when some benchmark ran with more than one thread.
"""
import json
import math
import sys

# benchmark class -> (parameter naming the implementation, the baseline's value)
DEFAULT_BASELINE = ("impl", "jdk-in-process")
BASELINES = {
    "TransportSignBenchmark": ("transport", "boundary-in-process"),
}


def number(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def fmt(v):
    if math.isnan(v):
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:,.1f}"
    return f"{v:.3g}"


def main(path):
    with open(path, encoding="utf-8") as f:
        results = json.load(f)
    rows = []
    for r in results:
        params = r.get("params") or {}
        metric = r["primaryMetric"]
        cls, method = r["benchmark"].rsplit(".", 2)[-2:]
        impl_param, baseline = BASELINES.get(cls, DEFAULT_BASELINE)
        rows.append(
            {
                "benchmark": cls + "." + method,
                "key": params.get("key", ""),
                "impl": params.get(impl_param, ""),
                "baseline": baseline,
                "threads": int(r.get("threads", 1)),
                "score": number(metric["score"]),
                "error": number(metric["scoreError"]),
                "unit": metric["scoreUnit"],
            }
        )

    def group(x):
        return (x["benchmark"], x["key"], x["threads"])

    base_score = {group(x): x["score"] for x in rows if x["impl"] == x["baseline"]}
    # keep JMH's order of benchmarks and keys, baseline last within each group
    order = {}
    for x in rows:
        order.setdefault(group(x), len(order))
    rows.sort(key=lambda x: (order[group(x)], x["impl"] == x["baseline"], x["impl"]))

    units = sorted({x["unit"] for x in rows})
    unit = units[0] if len(units) == 1 else "score"
    used = sorted({x["baseline"] for x in rows if group(x) in base_score})
    ratio_head = f"ratio vs {used[0]}" if len(used) == 1 else "ratio vs baseline"
    threads = any(x["threads"] != 1 for x in rows)
    print(
        f"| benchmark | key | impl |{' threads |' if threads else ''} {unit} | ± error | {ratio_head} |"
    )
    print(f"|---|---|---|{'---:|' if threads else ''}---:|---:|---:|")
    for x in rows:
        base = base_score.get(group(x))
        if base and not math.isnan(base) and not math.isnan(x["score"]):
            ratio_s = f"{x['score'] / base:.2f}×"
        else:
            ratio_s = "n/a"
        score = fmt(x["score"]) + ("" if len(units) == 1 else " " + x["unit"])
        t = f" {x['threads']} |" if threads else ""
        print(
            f"| {x['benchmark']} | {x['key']} | {x['impl']} |{t} {score} | {fmt(x['error'])} | {ratio_s} |"
        )
    if len(used) > 1:
        print()
        print(
            "Baselines: "
            + "; ".join(
                sorted(
                    {
                        f"{x['benchmark'].split('.')[0]} → {x['baseline']}"
                        for x in rows
                        if group(x) in base_score
                    }
                )
            )
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/target/jmh-result.json")
