#!/usr/bin/env python3
"""Where the CPU time of a JFR recording goes: by component and by thread.

Usage: jfr_summary.py recording.jfr [jfr-binary]

Reads the recording's jdk.CPULoad events (how busy the cores were) and jdk.ExecutionSample
events (threads running Java code, sampled by JFR; time blocked, in native code or in the kernel
is not in them) with `jfr print --json` and prints two Markdown tables: the share of samples per component, and per thread group. A sample's component is that
of the first frame, from the leaf down, whose class belongs to one of COMPONENTS; JDK frames of
no component (collections, strings, locks) count for the component that called them.
"""
import json
import subprocess
import sys
from collections import Counter

# (class name prefix, component), first match wins; checked from the leaf frame down
COMPONENTS = (
    ("sun.security.ssl.", "TLS protocol (JDK: records, handshake state)"),
    ("com.sun.crypto.provider.", "JDK crypto (TLS record AES-GCM, client MACs)"),
    ("sun.security.provider.", "JDK hashing (SHA, digests)"),
    ("sun.security.ec.", "JDK EC (SunEC)"),
    ("sun.security.rsa.", "JDK RSA (SunRsaSign)"),
    ("sun.security.pkcs11.", "SunPKCS11"),
    ("com.amazon.corretto.", "member's crypto engine (ACCP)"),
    ("dev.keyring.sim.boundary.", "member: boundary"),
    ("dev.keyring.sim.channel.", "member: channel I/O and framing"),
    ("dev.keyring.sim.", "member: crypto API, sessions, checks"),
    ("dev.keyring.store.", "member: store"),
    ("org.h2.", "member: store"),
    ("dev.keyring.protocol.", "frame and body encoding (both sides)"),
    ("dev.keyring.client.", "client: routing, recovery, channel"),
    ("dev.keyring.provider.", "JCA provider"),
    ("okhttp3.", "HTTP client (OkHttp)"),
    ("okio.", "HTTP client (OkHttp)"),
    ("org.eclipse.jetty.", "HTTP server (Jetty)"),
    ("com.fasterxml.jackson.", "JSON (Jackson)"),
    ("sun.nio.ch.", "socket I/O (JDK)"),
    ("java.net.", "socket I/O (JDK)"),
    ("java.io.", "socket I/O (JDK)"),
    ("org.openjdk.jmh.", "benchmark harness"),
    ("dev.keyring.benchmarks.", "benchmark harness"),
)


def component(frames):
    for f in frames:
        name = f["method"]["type"]["name"].replace("/", ".")
        for prefix, comp in COMPONENTS:
            if name.startswith(prefix):
                return comp
    return "other JDK (threads, locks, collections)"


def thread_group(name):
    for marker, group in (
        ("jmh-worker", "benchmark threads (the callers)"),
        ("keyring-client-channel-reader", "client: channel reader"),
        ("keyring-client-", "client: other channel threads"),
        ("keyring-channel-reader", "member: channel readers"),
        ("keyring-channel-writer", "member: channel writers"),
        ("keyring-channel-worker", "member: channel workers (crypto API, boundary)"),
        ("keyring-channel", "member: other channel threads"),
        ("qtp", "member: Jetty threads"),
        ("OkHttp", "client: OkHttp threads"),
        ("keyring-", "other Keyring threads"),
    ):
        if marker in name:
            return group
    return "other (" + name.split("-")[0] + ")"


def main(path, jfr="jfr"):
    out = subprocess.run(
        [jfr, "print", "--json", "--stack-depth", "64", "--events", "jdk.ExecutionSample", path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    events = json.loads(out)["recording"]["events"]
    load = subprocess.run(
        [jfr, "print", "--json", "--events", "jdk.CPULoad", path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    loads = [e["values"] for e in json.loads(load)["recording"]["events"]]
    if loads:
        def mean(field):
            return 100.0 * sum(v[field] for v in loads) / len(loads)

        print(
            f"CPU, mean of {len(loads)} jdk.CPULoad samples (100 % = every core busy): this JVM"
            f" user {mean('jvmUser'):.1f} %, system {mean('jvmSystem'):.1f} %; whole machine"
            f" {mean('machineTotal'):.1f} %\n"
        )
    by_component = Counter()
    by_thread = Counter()
    thread_names = Counter()
    for e in events:
        v = e["values"]
        frames = (v.get("stackTrace") or {}).get("frames") or []
        by_component[component(frames)] += 1
        t = (v.get("sampledThread") or {}).get("javaName") or "?"
        by_thread[thread_group(t)] += 1
        thread_names[t] += 1
    total = sum(by_component.values()) or 1
    print(f"{total} samples of threads in Java code\n")
    print("| component | share |")
    print("|---|---:|")
    for comp, n in by_component.most_common():
        print(f"| {comp} | {100.0 * n / total:.1f} % |")
    print()
    print("| thread | share |")
    print("|---|---:|")
    for group, n in by_thread.most_common():
        print(f"| {group} | {100.0 * n / total:.1f} % |")
    print()
    print("threads by name: " + ", ".join(f"{t} {n}" for t, n in thread_names.most_common(12)))


if __name__ == "__main__":
    main(*sys.argv[1:3])
