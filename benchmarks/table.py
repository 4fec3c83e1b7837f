#!/usr/bin/env python3
"""Prints a JMH JSON result file (-rf json) as a Markdown table.

Usage: table.py [jmh-result.json]
       table.py --side-by-side A.json B.json   (ProviderSignBenchmark of two runs,
                                                e.g. JDK 17 and JDK 25)

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
import os
import statistics
import sys

# benchmark class -> (parameter naming the implementation, the baseline's value)
DEFAULT_BASELINE = ("impl", "jdk-in-process")
BASELINES = {
    "TransportSignBenchmark": ("transport", "boundary-in-process"),
    "HaGroupSignBenchmark": ("target", "one-member-direct"),
    "WireEncodingBenchmark": ("encoding", "tlv"),
    "WireStackBenchmark": ("stack", "jdk-socket"),
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


# ProviderSignBenchmark: the providers the ratios are taken against, and the display order
PROVIDER_BENCHMARK = "ProviderSignBenchmark"
PROVIDER_REFERENCES = ("keyring-http", "jdk", "sunpkcs11-softhsm2")
PROVIDER_ORDER = ("keyring", "keyring-http", "jdk", "sunpkcs11-softhsm2", "accp")
OP_ORDER = (
    "RSA-2048-PKCS1",
    "RSA-2048-PSS",
    "P-256-ECDSA",
    "P-384-ECDSA",
    "Ed25519",
    "AES-GCM-1KiB",
    "HMAC-SHA256-1KiB",
)


def rank(order, v):
    return (order.index(v), v) if v in order else (len(order), v)


def provider_cells(results):
    """(op, threads, provider) -> (score, lowest, highest measured iteration) of ProviderSign."""
    cells = {}
    for r in results:
        if r["benchmark"].rsplit(".", 2)[-2] != PROVIDER_BENCHMARK:
            continue
        params = r.get("params") or {}
        metric = r["primaryMetric"]
        key = (params.get("op", ""), int(r.get("threads", 1)), params.get("provider", ""))
        raw = [number(v) for fork in metric.get("rawData") or [] for v in fork]
        low, high = (min(raw), max(raw)) if raw else (math.nan, math.nan)
        cells[key] = (number(metric["score"]), low, high)
    return cells


def ratio_text(cells, key, ref):
    score = cells.get(key, (math.nan,))[0]
    base = cells.get((key[0], key[1], ref), (math.nan,))[0]
    if math.isnan(base) or math.isnan(score) or base == 0:
        return "n/a"
    ratio = score / base
    return f"{ratio:.2f}×" if ratio >= 0.1 else f"{ratio:.2g}×"


def side_by_side(path_a, path_b):
    """Two ProviderSignBenchmark runs (e.g. JDK 17 and JDK 25), a row per op x threads x provider.

    Beside each score, the lowest and highest of its measured iterations: with few iterations
    JMH's 99.9% interval is wider than the scatter it comes from.
    """
    runs = []
    for path in (path_a, path_b):
        with open(path, encoding="utf-8") as f:
            results = json.load(f)
        version = results[0].get("vmVersion", path) if results else path
        runs.append((version.split("+")[0], provider_cells(results), not_run(path)))
    keys = set()
    for _, cells, reasons in runs:
        keys |= set(cells)
    ops = sorted({k[0] for k in keys}, key=lambda v: rank(OP_ORDER, v))
    threads = sorted({k[1] for k in keys})
    providers = sorted({k[2] for k in keys}, key=lambda v: rank(PROVIDER_ORDER, v))
    head = "| op | threads | provider |"
    rule = "|---|---:|---|"
    for version, _, _ in runs:
        head += f" JDK {version} ops/s | iterations | vs jdk | vs sunpkcs11-softhsm2 |"
        rule += "---:|---:|---:|---:|"
    print(head)
    print(rule)
    for op in ops:
        for t in threads:
            for p in providers:
                line = f"| {op} | {t} | {p} |"
                for _, cells, reasons in runs:
                    cell = cells.get((op, t, p))
                    if cell is None:
                        line += " n/a | | | |"
                        continue
                    line += (
                        f" {fmt(cell[0])} | {fmt(cell[1])}–{fmt(cell[2])} |"
                        f" {ratio_text(cells, (op, t, p), 'jdk')} |"
                        f" {ratio_text(cells, (op, t, p), 'sunpkcs11-softhsm2')} |"
                    )
                print(line)
    notes = []
    for version, _, reasons in runs:
        for (p, op), reason in sorted(reasons.items()):
            notes.append(f"JDK {version}, {p} × {op}: not run, {reason}")
    if notes:
        print()
        for note in notes:
            print(f"- {note}")


def not_run(path):
    """(provider, op) -> reason, from ProviderSignMain's -na.tsv beside the result file."""
    base = path[: -len(".json")] if path.endswith(".json") else path
    reasons = {}
    if os.path.exists(base + "-na.tsv"):
        with open(base + "-na.tsv", encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t", 2)
                if len(parts) == 3:
                    reasons[(parts[0], parts[1])] = parts[2]
    return reasons


def provider_table(results, reasons):
    """The ProviderSignBenchmark table: per op x threads, one row per provider."""
    runs = {}
    unit = "ops/s"
    for r in results:
        params = r.get("params") or {}
        metric = r["primaryMetric"]
        unit = metric["scoreUnit"]
        key = (params.get("op", ""), int(r.get("threads", 1)), params.get("provider", ""))
        runs.setdefault(key, []).append((number(metric["score"]), number(metric["scoreError"])))
    # several rounds (ROUNDS=N): the median of the rounds' scores, ± half their range
    cells = {}
    rounds = max((len(v) for v in runs.values()), default=1)
    for key, v in runs.items():
        if len(v) == 1:
            cells[key] = v[0]
        else:
            scores = sorted(x[0] for x in v)
            cells[key] = (statistics.median(scores), (scores[-1] - scores[0]) / 2)
    ops = {k[0] for k in cells} | {op for (_, op) in reasons}
    threads = sorted({k[1] for k in cells}) or [1]
    providers = {k[2] for k in cells} | {p for (p, _) in reasons}

    ops = sorted(ops, key=lambda v: rank(OP_ORDER, v))
    providers = sorted(providers, key=lambda v: rank(PROVIDER_ORDER, v))
    refs = [p for p in PROVIDER_REFERENCES if p in providers]
    print(
        f"| op | threads | provider | {unit} | ± error |"
        + "".join(f" vs {p} |" for p in refs)
    )
    print("|---|---:|---|---:|---:|" + "---:|" * len(refs))
    notes = []
    for op in ops:
        for t in threads:
            for p in providers:
                cell = cells.get((op, t, p))
                if cell is None:
                    reason = reasons.get((p, op))
                    if reason is None:
                        reason = "not run"
                    note = f"{p} × {op}: {reason}"
                    if note not in notes:
                        notes.append(note)
                    mark = f"n/a [{notes.index(note) + 1}]"
                    print(f"| {op} | {t} | {p} | {mark} | |" + " |" * len(refs))
                    continue
                score, error = cell
                ratios = ""
                for ref in refs:
                    base = cells.get((op, t, ref), (math.nan,))[0]
                    if math.isnan(base) or math.isnan(score) or base == 0:
                        ratios += " n/a |"
                    else:
                        ratio = score / base
                        ratios += f" {ratio:.2f}× |" if ratio >= 0.1 else f" {ratio:.2g}× |"
                print(f"| {op} | {t} | {p} | {fmt(score)} | {fmt(error)} |{ratios}")
    if rounds > 1:
        print()
        print(
            f"Each score is the median of {rounds} rounds and ± half their range; the ratios of"
            " the run's own output, taken round by round, are the steadier figures."
        )
    if notes:
        print()
        for i, note in enumerate(notes, 1):
            print(f"[{i}] {note}")


def main(path):
    with open(path, encoding="utf-8") as f:
        results = json.load(f)
    mine = [r for r in results if r["benchmark"].rsplit(".", 2)[-2] == PROVIDER_BENCHMARK]
    reasons = not_run(path)
    if mine or reasons:
        provider_table(mine, reasons)
    results = [r for r in results if r not in mine]
    if not results:
        return
    if mine or reasons:
        print()
    rows = []
    for r in results:
        params = r.get("params") or {}
        metric = r["primaryMetric"]
        cls, method = r["benchmark"].rsplit(".", 2)[-2:]
        impl_param, baseline = BASELINES.get(cls, DEFAULT_BASELINE)
        rows.append(
            {
                "benchmark": cls + "." + method,
                # the key column also carries WireStackBenchmark's requests in flight
                "key": params.get("key", "")
                or (f"inFlight={params['inFlight']}" if "inFlight" in params else ""),
                "impl": params.get(impl_param, ""),
                "baseline": baseline,
                "threads": int(r.get("threads", 1)),
                "score": number(metric["score"]),
                "error": number(metric["scoreError"]),
                "unit": metric["scoreUnit"],
                # with -prof gc: bytes allocated per operation
                "alloc": number(
                    ((r.get("secondaryMetrics") or {}).get("gc.alloc.rate.norm") or {}).get(
                        "score"
                    )
                ),
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
    alloc = any(not math.isnan(x["alloc"]) for x in rows)
    print(
        f"| benchmark | key | impl |{' threads |' if threads else ''} {unit} | ± error | {ratio_head} |"
        + (" B/op |" if alloc else "")
    )
    print(f"|---|---|---|{'---:|' if threads else ''}---:|---:|---:|" + ("---:|" if alloc else ""))
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
            + (f" {fmt(x['alloc'])} |" if alloc else "")
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
    if len(sys.argv) == 4 and sys.argv[1] == "--side-by-side":
        side_by_side(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/target/jmh-result.json")
