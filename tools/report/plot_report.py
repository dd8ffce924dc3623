#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Plots of one smmu-sim JSON report (smmu-sim --plot DIR runs this): the translation
latency histogram of every device (one PNG and SVG each, exact bins from the report) and
the hit rates of every SMMU's caches (one bar chart). Prints each file written.

Usage: plot_report.py REPORT.json DIR. Exit 0 done, 1 the report cannot be read, 3
matplotlib is missing (Debian package python3-matplotlib)."""
import json
import os
import re
import sys

NO_MATPLOTLIB = 3


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "device"


def _save(fig, out_dir, stem, written):
    for ext in ("png", "svg"):
        path = os.path.join(out_dir, f"{stem}.{ext}")
        fig.savefig(path, dpi=110)
        written.append(path)


def latency_histograms(plt, report, title, out_dir, written):
    for dev in report.get("devices", []):
        lat = dev.get("latency_ns") or {}
        bins = lat.get("histogram") or []
        if not bins:
            continue
        xs = [b[0] for b in bins]
        ns = [b[1] for b in bins]
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
        # Exact values, so bars one nanosecond wide at each latency seen, on a log count
        # axis: the rare slow transactions (walks, stalls) stay visible beside the hits.
        ax.bar(xs, ns, width=max(1.0, (max(xs) - min(xs)) / 200.0), color="#1f77b4")
        ax.set_yscale("log")
        ax.set_xlabel("translation latency (ns)")
        ax.set_ylabel("transactions")
        name = dev.get("name", "device")
        ax.set_title(f"{title}\n{name}: {lat.get('count', sum(ns))} transactions, "
                     f"p50 {lat.get('p50')} ns, p99 {lat.get('p99')} ns, max {lat.get('max')} ns",
                     fontsize=10)
        for q, style in (("p50", ":"), ("p99", "--")):
            if isinstance(lat.get(q), (int, float)):
                ax.axvline(lat[q], color="#d62728", linestyle=style, linewidth=1, label=q)
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        _save(fig, out_dir, f"latency_{_safe(name)}", written)
        plt.close(fig)


def _hit_rates(smmu):
    """[(label, hit rate)] of every cache the SMMU's report has."""
    out = []
    for key, label in (("micro_tlb", "micro TLB"), ("main_tlb", "main TLB"),
                       ("walk_cache", "walk cache"), ("config_cache", "config cache")):
        c = smmu.get(key)
        if isinstance(c, dict) and isinstance(c.get("hit_rate"), (int, float)):
            out.append((label, c["hit_rate"]))
    for i, tbu in enumerate(smmu.get("tbus") or []):
        c = tbu.get("main_tlb")
        if isinstance(c, dict) and isinstance(c.get("hit_rate"), (int, float)):
            out.append((f"TBU {i} TLB", c["hit_rate"]))
    return out


def hit_rates(plt, report, title, out_dir, written):
    smmus = report.get("smmus", [])
    rates = [(s.get("name", f"smmu{i}"), _hit_rates(s)) for i, s in enumerate(smmus)]
    rates = [(n, r) for n, r in rates if r]
    if not rates:
        return
    labels = []
    for _, r in rates:
        for l, _ in r:
            if l not in labels:
                labels.append(l)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    width = 0.8 / len(rates)
    for k, (name, r) in enumerate(rates):
        d = dict(r)
        xs = [i + k * width for i, l in enumerate(labels) if l in d]
        ys = [d[l] for l in labels if l in d]
        bars = ax.bar(xs, ys, width=width, label=name)
        for b, y in zip(bars, ys):
            ax.annotate(f"{y:.3f}", (b.get_x() + b.get_width() / 2, y), ha="center",
                        va="bottom", fontsize=7)
    ax.set_xticks([i + width * (len(rates) - 1) / 2 for i in range(len(labels))])
    ax.set_xticklabels(labels)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("hit rate")
    ax.set_title(f"{title}\ncache hit rates", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    _save(fig, out_dir, "hit_rates", written)
    plt.close(fig)


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} REPORT.json DIR", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            report = json.load(f)
        if not isinstance(report, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        print(f"plot_report: cannot read {argv[1]}: {e}", file=sys.stderr)
        return 1
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        print(f"plot_report: matplotlib is not available to {sys.executable} ({e}); "
              "install python3-matplotlib", file=sys.stderr)
        return NO_MATPLOTLIB
    os.makedirs(argv[2], exist_ok=True)
    scen = report.get("scenario")
    title = "smmu-sim " + str(report.get("version", ""))
    if isinstance(scen, dict) and isinstance(scen.get("name"), str):
        title += f": {scen['name']}"
    written = []
    latency_histograms(plt, report, title, argv[2], written)
    hit_rates(plt, report, title, argv[2], written)
    for w in written:
        print(w)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
