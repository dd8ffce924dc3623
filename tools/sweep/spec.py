# SPDX-License-Identifier: Apache-2.0
"""Reading a sweep file: every bad value is a SweepError naming its key."""
import itertools
import json
import math
import os
import re


class SweepError(Exception):
    """A bad sweep file or option: one message, exit status 2."""


TOP_KEYS = {"scenario", "parameters", "combine", "repeats", "seed", "seed_paths",
            "collect", "title", "units", "plots"}
# A collect path: names separated by dots, each followed by any number of [i].
PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*)*$")
# A --set path as smmu-sim takes it (same shape; the simulator checks the names).
SET_RE = PATH_RE
MAX_POINTS = 100000


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _scalar(v):
    return v is None or isinstance(v, (str, bool)) or _is_number(v)


class Parameter:
    """One swept key: the --set path, the values sent, and the labels in the CSV."""

    def __init__(self, name, path, values, labels, log2=False, linked=False):
        self.name, self.path, self.values, self.labels, self.log2 = name, path, values, labels, log2
        # linked: path is the list of paths it sets, each value a [(path, value)] list.
        self.linked = linked

    def sets(self, i):
        return list(self.values[i]) if self.linked else [(self.path, self.values[i])]


def _range(key, spec):
    for k in spec:
        if k not in ("from", "to", "step", "log2"):
            raise SweepError(f"{key}.{k}: unknown key (a range has from, to, step, log2)")
    for k in ("from", "to"):
        if k not in spec:
            raise SweepError(f"{key}.{k}: missing (a range needs from and to)")
        if not _is_number(spec[k]):
            raise SweepError(f"{key}.{k}: expected a number, got {json.dumps(spec[k])}")
    lo, hi = spec["from"], spec["to"]
    if hi < lo:
        raise SweepError(f"{key}.to: {hi} is below from ({lo})")
    log2 = spec.get("log2", False)
    if not isinstance(log2, bool):
        raise SweepError(f"{key}.log2: expected true or false, got {json.dumps(log2)}")
    if log2:
        if "step" in spec:
            raise SweepError(f"{key}.step: not with log2 (the values double)")
        if not (isinstance(lo, int) and lo > 0 and lo & (lo - 1) == 0):
            raise SweepError(f"{key}.from: with log2, expected a power of two, got {json.dumps(lo)}")
        values, v = [], lo
        while v <= hi:
            values.append(v)
            v *= 2
    else:
        step = spec.get("step", 1)
        if not _is_number(step) or step <= 0:
            raise SweepError(f"{key}.step: expected a positive number, got {json.dumps(step)}")
        # Counted, not accumulated, so that 0.1 steps do not drift past `to`.
        n = int(math.floor((hi - lo) / step + 1e-9)) + 1
        if n > MAX_POINTS:
            raise SweepError(f"{key}: {n} values, more than {MAX_POINTS}")
        all_int = all(isinstance(x, int) for x in (lo, step))
        values = [lo + i * step if all_int else round(lo + i * step, 12) for i in range(n)]
    return values, log2


def _linked(name, spec):
    """A parameter that sets several paths at once, e.g. the SMMU count: `smmus`,
    `streams` and `traffic` must change together. {"sets": [{path: value, ...}, ...],
    "labels": [...]}: the key is the parameter's name (the CSV column), not a path."""
    key = f"parameters.{name}"
    for k in spec:
        if k not in ("sets", "labels"):
            raise SweepError(f"{key}.{k}: unknown key (a linked parameter has sets, labels)")
    sets = spec["sets"]
    if not isinstance(sets, list) or not sets:
        raise SweepError(f"{key}.sets: expected a non-empty list of objects of --set paths to values")
    for i, one in enumerate(sets):
        if not isinstance(one, dict) or not one:
            raise SweepError(f"{key}.sets[{i}]: expected a non-empty object of --set paths to values")
        for path in one:
            if not SET_RE.match(path):
                raise SweepError(f"{key}.sets[{i}].{path}: not a scenario key path (e.g. smmus)")
    labels = spec.get("labels")
    if not isinstance(labels, list) or len(labels) != len(sets):
        raise SweepError(f"{key}.labels: expected a list as long as sets ({len(sets)})")
    for i, l in enumerate(labels):
        if not _scalar(l):
            raise SweepError(f"{key}.labels[{i}]: expected a number or a string")
    paths = sorted({path for one in sets for path in one})
    return Parameter(name, paths, [list(one.items()) for one in sets], labels, linked=True)


def _parameter(path, spec):
    key = f"parameters.{path}"
    if isinstance(spec, dict) and "sets" in spec:
        if not path or not re.match(r"^[A-Za-z_][A-Za-z0-9_.-]*$", path):
            raise SweepError(f"{key}: a linked parameter's name is a word (e.g. smmu_count)")
        return _linked(path, spec)
    if not path or not SET_RE.match(path):
        raise SweepError(f"{key}: not a scenario key path (e.g. smmus[0].main_tlb.ways)")
    name, labels, log2 = path, None, False
    if isinstance(spec, list):
        values = spec
    elif isinstance(spec, dict) and "values" in spec:
        for k in spec:
            if k not in ("values", "labels", "name"):
                raise SweepError(f"{key}.{k}: unknown key (a value list has values, labels, name)")
        values = spec["values"]
        if not isinstance(values, list):
            raise SweepError(f"{key}.values: expected a list")
        if "labels" in spec:
            labels = spec["labels"]
            if not isinstance(labels, list) or len(labels) != len(values):
                raise SweepError(f"{key}.labels: expected a list as long as values ({len(values)})")
            for i, l in enumerate(labels):
                if not _scalar(l):
                    raise SweepError(f"{key}.labels[{i}]: expected a number or a string")
        if "name" in spec:
            name = spec["name"]
            if not isinstance(name, str) or not name:
                raise SweepError(f"{key}.name: expected a non-empty string")
    elif isinstance(spec, dict):
        values, log2 = _range(key, spec)
    else:
        raise SweepError(f"{key}: expected a list of values, a range object "
                         f"({{\"from\", \"to\", \"step\"}} or \"log2\": true) or {{\"values\": [...]}}")
    if not values:
        raise SweepError(f"{key}: no values")
    if labels is None:
        for i, v in enumerate(values):
            if not _scalar(v):
                raise SweepError(f"{key}[{i}]: an object or list needs labels "
                                 f"({{\"values\": [...], \"labels\": [...]}})")
        labels = list(values)
    return Parameter(name, path, values, labels, log2)


class Point:
    def __init__(self, index, combo, repeat, sets):
        self.index = index          # position in the sweep (the NNNN of its files)
        self.combo = combo          # label per parameter name, in parameter order
        self.repeat = repeat
        self.sets = sets            # [(path, JSON value)] in the order given to --set


class Sweep:
    pass


def load(path):
    """Reads and checks the sweep file; returns a Sweep with its points."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise SweepError(f"cannot read the sweep file: {e.strerror}")
    except UnicodeDecodeError:
        raise SweepError("the sweep file is not UTF-8 text")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise SweepError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}")
    return parse(doc, os.path.dirname(os.path.abspath(path)))


def parse(doc, base_dir):
    if not isinstance(doc, dict):
        raise SweepError("expected a JSON object at the top")
    for k in doc:
        if k not in TOP_KEYS:
            raise SweepError(f"{k}: unknown key (known: {', '.join(sorted(TOP_KEYS))})")
    s = Sweep()

    scen = doc.get("scenario")
    s.scenario_file, s.scenario_inline = None, None
    if isinstance(scen, str):
        p = scen if os.path.isabs(scen) else os.path.join(base_dir, scen)
        if not os.path.isfile(p):
            raise SweepError(f"scenario: no such file {p}")
        s.scenario_file = os.path.abspath(p)
    elif isinstance(scen, dict):
        s.scenario_inline = scen
    elif scen is not None:
        raise SweepError("scenario: expected a file path (relative to the sweep file) or an object")

    params = doc.get("parameters", {})
    if not isinstance(params, dict):
        raise SweepError("parameters: expected an object of --set paths to values")
    s.parameters = [_parameter(p, v) for p, v in params.items()]
    names = [p.name for p in s.parameters]
    for n in names:
        if names.count(n) > 1:
            raise SweepError(f"parameters: the name {n} is given twice")

    combine = doc.get("combine", "product")
    if combine not in ("product", "zip"):
        raise SweepError(f"combine: expected \"product\" or \"zip\", got {json.dumps(combine)}")
    s.combine = combine
    if combine == "zip" and len({len(p.values) for p in s.parameters}) > 1:
        lens = ", ".join(f"{p.name}: {len(p.values)}" for p in s.parameters)
        raise SweepError(f"combine: \"zip\" needs lists of one length ({lens})")

    repeats = doc.get("repeats", 1)
    if not isinstance(repeats, int) or isinstance(repeats, bool) or not 1 <= repeats <= 10000:
        raise SweepError(f"repeats: expected an integer 1..10000, got {json.dumps(repeats)}")
    s.repeats = repeats
    seed = doc.get("seed", 1)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise SweepError(f"seed: expected a non-negative integer, got {json.dumps(seed)}")
    seed_paths = doc.get("seed_paths", [])
    if not isinstance(seed_paths, list):
        raise SweepError("seed_paths: expected a list of scenario key paths")
    for i, p in enumerate(seed_paths):
        if not isinstance(p, str) or not SET_RE.match(p):
            raise SweepError(f"seed_paths[{i}]: not a scenario key path (e.g. traffic[0].seed)")
        if any(p == q.path or (q.linked and p in q.path) for q in s.parameters):
            raise SweepError(f"seed_paths[{i}]: {p} is also a swept parameter")
    s.seed, s.seed_paths = seed, seed_paths

    collect = doc.get("collect")
    if collect is None:
        raise SweepError("collect: missing (column name -> report path, e.g. "
                         "{\"p99\": \"translation.latency_ns.p99\"})")
    if not isinstance(collect, dict) or not collect:
        raise SweepError("collect: expected a non-empty object of column name -> report path")
    for n, p in collect.items():
        if not n:
            raise SweepError("collect: an empty column name")
        if n in names or n == "repeat":
            raise SweepError(f"collect.{n}: the name is also a parameter's")
        if not isinstance(p, str) or not PATH_RE.match(p):
            raise SweepError(f"collect.{n}: expected a report path such as "
                             f"smmus[0].main_tlb.hit_rate, got {json.dumps(p)}")
    s.collect = dict(collect)

    title = doc.get("title", "")
    if not isinstance(title, str):
        raise SweepError("title: expected a string")
    s.title = title
    units = doc.get("units", {})
    if not isinstance(units, dict):
        raise SweepError("units: expected an object of parameter or value name -> unit")
    for n, u in units.items():
        if n not in names and n not in collect:
            raise SweepError(f"units.{n}: not a parameter or a collected value")
        if not isinstance(u, str):
            raise SweepError(f"units.{n}: expected a string")
    s.units = units

    s.plots = _plots(doc.get("plots"), s)
    s.points = _points(s)
    return s


def _plots(spec, s):
    """[(x name, series name or None)]; None: every swept parameter, as the tool chooses."""
    if spec is None:
        return None
    items = spec if isinstance(spec, list) else [spec]
    out = []
    names = [p.name for p in s.parameters]
    for i, it in enumerate(items):
        key = f"plots[{i}]" if isinstance(spec, list) else "plots"
        if not isinstance(it, dict):
            raise SweepError(f"{key}: expected an object {{\"x\": ..., \"series\": ...}}")
        for k in it:
            if k not in ("x", "series"):
                raise SweepError(f"{key}.{k}: unknown key (x, series)")
        x, ser = it.get("x"), it.get("series")
        if x not in names:
            raise SweepError(f"{key}.x: expected a parameter name ({', '.join(names)}), got {json.dumps(x)}")
        if ser is not None and (ser not in names or ser == x):
            raise SweepError(f"{key}.series: expected another parameter's name, got {json.dumps(ser)}")
        out.append((x, ser))
    return out


def _points(s):
    idx = [range(len(p.values)) for p in s.parameters]
    combos = zip(*idx) if s.combine == "zip" and s.parameters else itertools.product(*idx)
    points = []
    for combo in combos:
        for r in range(s.repeats):
            sets = [ps for p, i in zip(s.parameters, combo) for ps in p.sets(i)]
            sets += [(sp, s.seed + r) for sp in s.seed_paths]
            labels = {p.name: p.labels[i] for p, i in zip(s.parameters, combo)}
            points.append(Point(len(points), labels, r, sets))
            if len(points) > MAX_POINTS:
                raise SweepError(f"parameters: more than {MAX_POINTS} points")
    return points
