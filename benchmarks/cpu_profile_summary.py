#!/usr/bin/env python3
"""Where the CPU time goes, kernel included: a summary of an async-profiler CPU profile.

Usage: cpu_profile_summary.py collapsed-cpu.csv

Reads the collapsed stacks that JMH's async-profiler integration writes (`-prof
"async:libPath=...;output=collapsed;event=cpu;threads=true;dir=..."`; see docs/crypto-channel.md,
"Where the CPU goes, kernel included") and prints a Markdown table: the share of all CPU samples
per component, and the three threads that spent most of it. Unlike a JFR recording, the profile
holds samples in native code (the member's crypto engine) and in the kernel (socket calls, the
scheduler), so the shares add up to the CPU the process used.

A sample's component is the first rule of RULES that matches its stack; system calls come first,
so the kernel's work for a socket write counts as the write, whatever Java code made the call.
"""
import re
import sys
from collections import Counter, defaultdict

# (component, substrings of which any in the stack matches), first matching rule wins
RULES = (
    ("spinning: Thread.yield", ("sched_yield", "JVM_Yield")),
    ("spinning: polling received bytes (ioctl)", ("__x64_sys_ioctl",)),
    ("kernel: socket write (TCP and loopback delivery, waking the reader)",
     ("ksys_write", "__GI_write", "FileDispatcherImpl.write0")),
    ("kernel: socket read", ("ksys_read", "__GI_read", "FileDispatcherImpl.read0")),
    ("kernel: waiting for bytes (poll: to sleep and back)", ("sys_poll", "Net.poll")),
    ("park and unpark (futex)", ("futex", "Unsafe_Park", "Unsafe_Unpark")),
    ("member's crypto engine (ACCP, native)", ("corretto", "ecp_nistz256", "bignum_", "aes_gcm_",
                                               "aesni_", "rsaz_", "bn_mul_mont")),
    ("hashing (SHA-2)", ("sha256_block", "sha512_block", "sun/security/provider/SHA",
                         "sun/security/provider/DigestBase")),
    ("TLS record protection (JDK AES-GCM)", ("com/sun/crypto/provider",)),
    ("TLS protocol (JDK)", ("sun/security/ssl",)),
    ("socket I/O (JDK, user space)", ("sun/nio/ch", "java/net/Socket")),
    ("member: channel, crypto API, boundary", ("dev/keyring/sim",)),
    ("client: provider, routing, recovery, channel", ("dev/keyring/provider", "dev/keyring/client")),
    ("frame encoding", ("dev/keyring/protocol",)),
    ("JVM: JIT compiler", ("CompileBroker", "C2Compiler", "Compiler::")),
    ("JVM: GC", ("G1", "GCTaskThread", "WorkerThread::run")),
)


def component(stack):
    for name, needles in RULES:
        if any(n in stack for n in needles):
            return name
    if stack.rsplit(";", 1)[-1].endswith("_[k]"):
        return "kernel: other"
    return "other"


def thread_of(frame):
    name = re.sub(r"\s*tid=\d+\]$", "", frame).lstrip("[")
    name = re.sub(r"\d+", "#", name)
    if "jmh-worker" in name:
        return "callers (JMH threads)"
    return name


def main(path):
    total = 0
    by_component = Counter()
    threads = defaultdict(Counter)
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            n = int(count)
            total += n
            first = stack.split(";", 1)[0]
            c = component(stack)
            by_component[c] += n
            threads[c][thread_of(first) if first.startswith("[") else "(no thread name)"] += n
    if total == 0:
        sys.exit(f"{path}: no samples")
    print(f"{total:,} CPU samples\n")
    print("| share | component | threads (share of all samples) |")
    print("|---:|---|---|")
    for c, n in by_component.most_common():
        top = ", ".join(f"{t} {100 * m / total:.1f} %" for t, m in threads[c].most_common(3))
        print(f"| {100 * n / total:.1f} % | {c} | {top} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
