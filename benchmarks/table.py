#!/usr/bin/env python3
"""Prints a JMH JSON result file (-rf json) as a Markdown table.

Usage: table.py [jmh-result.json]

One row per benchmark x key x impl, with the score, its error (99.9% confidence
half-width, as JMH reports it) and the ratio to the `jdk-in-process` row of the
same benchmark and key: score / baseline score (in throughput mode, >1 means
faster than the JDK; in time-per-operation modes, >1 means slower).
"""
import json
import math
import sys

BASELINE = "jdk-in-process"


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
        rows.append(
            {
                "benchmark": r["benchmark"].rsplit(".", 2)[-2] + "." + r["benchmark"].rsplit(".", 1)[-1],
                "key": params.get("key", ""),
                "impl": params.get("impl", ""),
                "score": number(metric["score"]),
                "error": number(metric["scoreError"]),
                "unit": metric["scoreUnit"],
            }
        )
    baseline = {
        (x["benchmark"], x["key"]): x["score"] for x in rows if x["impl"] == BASELINE
    }
    # keep JMH's order of benchmarks and keys, baseline last within each key
    order = {}
    for x in rows:
        order.setdefault((x["benchmark"], x["key"]), len(order))
    rows.sort(key=lambda x: (order[(x["benchmark"], x["key"])], x["impl"] == BASELINE, x["impl"]))

    units = sorted({x["unit"] for x in rows})
    unit = units[0] if len(units) == 1 else "score"
    print(f"| benchmark | key | impl | {unit} | ± error | ratio vs {BASELINE} |")
    print("|---|---|---|---:|---:|---:|")
    for x in rows:
        base = baseline.get((x["benchmark"], x["key"]))
        if base and not math.isnan(base) and not math.isnan(x["score"]):
            ratio_s = f"{x['score'] / base:.2f}×"
        else:
            ratio_s = "n/a"
        score = fmt(x["score"]) + ("" if len(units) == 1 else " " + x["unit"])
        print(f"| {x['benchmark']} | {x['key']} | {x['impl']} | {score} | {fmt(x['error'])} | {ratio_s} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/target/jmh-result.json")
