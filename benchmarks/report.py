#!/usr/bin/env python3
"""Turns the raw output of scripts/bench into Markdown tables and a gnuplot chart.

  report.py RESULTS [--micro MICRO.json] [--compile COMPILE.txt] [--chart OUT.png]

RESULTS holds W1 lines (peer=... n=... b=... ns_per_entry=... [rss_kb=...] ...) and '#' lines,
MICRO.json is Google Benchmark's JSON output, COMPILE.txt holds "name seconds" lines. Prints
Markdown on stdout: the W1 table, the ratios synod/peer, the micro-benchmarks and compile times.
"""
import json
import os
import subprocess
import sys
import tempfile

PEERS = ("c-raft-", "etcd-raft")  # libraries synod is compared with
PHYSICAL = "physical-arena"


def parse_results(path):
    rows = []
    with open(path) as f:
        for line in f:
            if not line.startswith("peer="):
                continue
            fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            fields["n"] = int(fields["n"])
            fields["b"] = int(fields["b"])
            fields["ns"] = float(fields["ns_per_entry"])
            rows.append(fields)
    return rows


def is_peer(name):
    return name.startswith(PEERS)


def is_batch(name):
    return name.endswith(("-batchprop", "-batchapply"))


def fmt_ns(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def w1_table(rows):
    out = ["| implementation | N | B | ns/entry | entries/s | peak RSS MiB | allocs/entry |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in sorted(rows, key=lambda r: (r["n"], r["b"], r["ns"])):
        rss = f"{int(r['rss_kb']) / 1024:.0f}" if "rss_kb" in r else ""
        allocs = r.get("allocs_per_entry", "")
        out.append(f"| {r['peer']} | {r['n']} | {r['b']} | {fmt_ns(r['ns'])} | "
                   f"{1e9 / r['ns']:,.0f} | {rss} | {allocs} |")
    return "\n".join(out)


def ratio_table(rows):
    """For each synod row: how many times faster than the fastest peer row of the same N and B
    (any proposal style), than the fastest peer row with the same proposal style, and how far
    from the physical limit (physical-arena)."""
    out = ["| synod | N | B | ns/entry | fastest peer (any API) | speed-up | fastest peer (same API) "
           "| speed-up | physical-arena | × physical |",
           "| --- | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: |"]
    for r in sorted(rows, key=lambda r: (r["n"], r["b"], r["peer"])):
        if not r["peer"].startswith("synod-"):
            continue
        same = [p for p in rows if p["n"] == r["n"] and p["b"] == r["b"]]
        peers = [p for p in same if is_peer(p["peer"])]
        like = [p for p in peers if is_batch(p["peer"]) == is_batch(r["peer"])]
        phys = [p for p in same if p["peer"] == PHYSICAL]

        def cell(candidates, faster):
            if not candidates:
                return "", ""
            best = min(candidates, key=lambda p: p["ns"])
            ratio = best["ns"] / r["ns"] if faster else r["ns"] / best["ns"]
            return f"{best['peer']} {fmt_ns(best['ns'])}", f"{ratio:.1f}×"

        any_peer, any_ratio = cell(peers, True)
        like_peer, like_ratio = cell(like, True)
        phys_ns, phys_ratio = cell(phys, False)
        out.append(f"| {r['peer']} | {r['n']} | {r['b']} | {fmt_ns(r['ns'])} | {any_peer} | "
                   f"{any_ratio} | {like_peer} | {like_ratio} | {phys_ns.split()[-1] if phys_ns else ''} "
                   f"| {phys_ratio} |")
    return "\n".join(out)


def micro_table(path):
    with open(path) as f:
        data = json.load(f)
    out = ["| benchmark | ns/op (CPU) | allocs/op | items/s | bytes/s |",
           "| --- | ---: | ---: | ---: | ---: |"]
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        unit = {"ns": 1, "us": 1e3, "ms": 1e6}.get(b.get("time_unit", "ns"), 1)
        # CPU time: on a shared machine the wall clock also counts time the process waited.
        ns = b["cpu_time"] * unit
        items = b.get("items_per_second")
        items_s = f"{items / 1e6:.1f} M" if items else ""
        rate = b.get("bytes_per_second")
        rate_s = f"{rate / 1e9:.2f} G" if rate else ""
        allocs = f"{b['allocs_per_op']:g}" if "allocs_per_op" in b else ""
        out.append(f"| {b['name']} | {ns:.1f} | {allocs} | {items_s} | {rate_s} |")
    return "\n".join(out)


def compile_table(path):
    out = ["| translation unit (g++ 12, -O2) | seconds |", "| --- | ---: |"]
    with open(path) as f:
        for line in f:
            name, secs = line.rsplit(None, 1)
            out.append(f"| {name} | {float(secs):.2f} |")
    return "\n".join(out)


def color_of(name, names):
    """synod in blues and greens, c-raft in oranges, etcd in reds, the physical limit in grey."""
    families = [("synod-", ["#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1",
                            "#006d2c", "#31a354", "#74c476", "#a1d99b"]),
                ("c-raft", ["#d94801", "#fd8d3c", "#fdae6b"]),
                ("etcd", ["#a50f15", "#ef3b2c", "#fc9272"]),
                ("physical", ["#525252", "#969696"])]
    for prefix, palette in families:
        if name.startswith(prefix):
            same = [n for n in names if n.startswith(prefix)]
            return palette[same.index(name) % len(palette)]
    return "#000000"


def chart(rows, png):
    """Clustered bars: ns/entry (log scale) per configuration (N, B), one bar per implementation."""
    configs = sorted({(r["n"], r["b"]) for r in rows})
    names = []
    for r in sorted(rows, key=lambda r: (not r["peer"].startswith("synod"), r["peer"])):
        if r["peer"] not in names:
            names.append(r["peer"])
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "w1.dat")
        with open(data, "w") as f:
            f.write("config " + " ".join(f'"{n}"' for n in names) + "\n")
            for n, b in configs:
                vals = []
                for name in names:
                    hit = [r["ns"] for r in rows if r["peer"] == name and r["n"] == n and r["b"] == b]
                    vals.append(f"{hit[0]:.2f}" if hit else "NaN")
                f.write(f'"N={n} B={b}" ' + " ".join(vals) + "\n")
        colors = "\n".join(f'set linetype {i + 1} linecolor rgb "{color_of(name, names)}"'
                           for i, name in enumerate(names))
        script = f"""
set terminal pngcairo size 1400,700 font ",10" noenhanced
set output "{png}"
set title "W1: ns per entry (log scale, lower is better), median of repetitions, warm memory"
set style data histograms
set style histogram clustered gap 2
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [5:*]
set ylabel "ns per entry"
set grid ytics
set key outside right top
{colors}
plot for [i=2:{len(names) + 1}] "{data}" using i:xtic(1) title columnheader(i) linecolor i - 1
"""
        try:
            subprocess.run(["gnuplot"], input=script, text=True, check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            # pngcairo may be missing: fall back to the plain png terminal.
            script = script.replace('pngcairo size 1400,700 font ",10"', "png size 1400,700")
            subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main(argv):
    results = argv[1]
    args = dict(zip(argv[2::2], argv[3::2]))
    rows = parse_results(results)
    print("### W1\n")
    print(w1_table(rows))
    print("\n### Ratios (same run, same memory mode)\n")
    print(ratio_table(rows))
    if "--micro" in args and os.path.exists(args["--micro"]):
        print("\n### Micro-benchmarks (one node, one handler)\n")
        print(micro_table(args["--micro"]))
    if "--compile" in args and os.path.exists(args["--compile"]):
        print("\n### Compile time\n")
        print(compile_table(args["--compile"]))
    if "--chart" in args:
        chart(rows, args["--chart"])


if __name__ == "__main__":
    main(sys.argv)
