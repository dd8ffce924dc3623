# SPDX-License-Identifier: Apache-2.0
"""Line plots of each collected value against each swept parameter (matplotlib, Agg)."""
import math
import os
import re


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _label(name, unit):
    return f"{name} ({unit})" if unit else name


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name.replace("[", "").replace("]", "")).strip("_") or "value"


def plan(sw):
    """[(x, series or None)]: the sweep's plots, else each swept parameter as x, with the
    other one as series when exactly two are swept."""
    if sw.plots is not None:
        return sw.plots
    swept = [p.name for p in sw.parameters if len(set(map(repr, p.labels))) > 1]
    if len(swept) == 2:
        return [(swept[0], swept[1]), (swept[1], swept[0])]
    return [(x, None) for x in swept]


def _mean_table(sw, rows, value, x, series):
    """{series label: {x label: mean}} over the points that have the value (repeats and any
    parameter not plotted are averaged)."""
    acc = {}
    for r in rows:
        v = r["values"].get(value) if r["ok"] else None
        if isinstance(v, bool):
            v = int(v)
        if not _num(v):
            continue
        s = r["parameters"][series] if series else None
        xs = r["parameters"][x]
        acc.setdefault(repr(s), (s, {})) [1].setdefault(repr(xs), [xs, 0.0, 0])
        cell = acc[repr(s)][1][repr(xs)]
        cell[1] += v
        cell[2] += 1
    return acc


def make(plot_dir, sw, rows):
    """Returns (files written, None) or ([], why the plots were skipped)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as e:  # ImportError, or a broken install
        return [], f"matplotlib is not available to {os.sys.executable} ({type(e).__name__}: {e}); " \
                   "install python3-matplotlib"
    todo = plan(sw)
    if not todo:
        return [], "no parameter takes more than one value"
    os.makedirs(plot_dir, exist_ok=True)
    params = {p.name: p for p in sw.parameters}
    made = []
    for value in sw.collect:
        for x, series in todo:
            acc = _mean_table(sw, rows, value, x, series)
            if not acc:
                continue
            xp = params[x]
            xorder = {repr(l): i for i, l in enumerate(xp.labels)}
            numeric_x = all(_num(l) for l in xp.labels)
            fig, ax = plt.subplots(figsize=(7, 4.5))
            sorder = {repr(l): i for i, l in enumerate(params[series].labels)} if series else {}
            for skey in sorted(acc, key=lambda k: sorder.get(k, 0)):
                slabel, cells = acc[skey]
                pts = sorted(cells.values(), key=lambda c: xorder.get(repr(c[0]), 0))
                xs = [c[0] if numeric_x else xorder[repr(c[0])] for c in pts]
                ys = [c[1] / c[2] for c in pts]
                name = str(slabel) if series else None
                ax.plot(xs, ys, marker="o", label=name)
            if numeric_x:
                if xp.log2:
                    ax.set_xscale("log", base=2)
                ax.set_xticks(sorted({l for l in xp.labels}))
                ax.set_xticklabels([f"{l:g}" for l in sorted({l for l in xp.labels})])
            else:
                ax.set_xticks(range(len(xp.labels)))
                ax.set_xticklabels([str(l) for l in xp.labels])
            ax.set_xlabel(_label(x, sw.units.get(x)))
            ax.set_ylabel(_label(value, sw.units.get(value)))
            others = [p.name for p in sw.parameters if p.name not in (x, series) and len(p.labels) > 1]
            sub = f"{value} against {x}" + (f", mean over {', '.join(others)}" if others else "") \
                + (f", mean of {sw.repeats} repeats" if sw.repeats > 1 else "")
            ax.set_title(f"{sw.title}\n{sub}" if sw.title else sub, fontsize=10)
            ax.grid(True, alpha=0.3)
            if series:
                ax.legend(title=_label(series, sw.units.get(series)), fontsize=8)
            fig.tight_layout()
            stem = os.path.join(plot_dir, f"{_safe(value)}_vs_{_safe(x)}")
            for ext in ("png", "svg"):
                fig.savefig(f"{stem}.{ext}", dpi=110 if ext == "png" else None)
                made.append(f"{stem}.{ext}")
            plt.close(fig)
    return made, None
