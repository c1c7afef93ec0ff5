"""Sweeps: many ``playground train`` runs over a grid of settings, run on Dask, streamed to a tidy CSV table.

A sweep is a list of *runs*; a run is a dict of ``playground train`` settings (:data:`FIELDS`), for example
``{"dataset": "circle", "qubits": 2, "layers": 3, "entangle": True, "cost": "fidelity", "seed": 4}``. Each run is
made exactly as ``playground train <flags> --json`` makes it (:func:`run_one` builds those flags and goes through
the same parser and the same code), so a row of a sweep and the command's JSON agree to the bit.

The table has one row per run: the run's id (a hash of its settings), ``status`` (``ok`` or ``error``), the error's
one line, the worker that made it, the equivalent command, and every field of ``playground train --json``. Rows are
appended and flushed one by one, so an interrupted sweep keeps what it finished; run again with the same table, it
skips the runs whose rows are there and makes the rest.

A sweep file (JSON, TOML or YAML) holds ``grid`` (one grid), ``grids`` (a list of grids: their union) and/or
``runs`` (explicit runs), and optionally ``base`` (settings under every run). In a grid a value is a list of
choices or one value; an integer field also takes a range ``"1-10"`` (both ends included)::

    [grid]
    dataset = ["circle", "annulus"]
    qubits = [1, 2]
    layers = "1-6"
    cost = ["fidelity", "weighted_fidelity"]
    optimizer = "lbfgs"
    restarts = 1
    seed = "0-9"

Entangled circuits need two qubits or more: a grid's entangled runs on one qubit are left out (and counted).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import os
import shlex
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from .runs import train_parser, train_summary

__all__ = [
    "FIELDS",
    "COLUMNS",
    "MAX_RUNS",
    "SweepError",
    "Sweep",
    "SweepReport",
    "expand",
    "choices",
    "load_sweep",
    "run_id",
    "train_argv",
    "run_one",
    "ResultsTable",
    "run_sweep",
    "local_cluster",
]

MAX_RUNS = 100_000
MAX_FILE_BYTES = 1_000_000
MAX_ERROR_CHARS = 300

# Sweep setting -> (playground train flag, type). The order is the order of the table's setting columns.
FIELDS: dict[str, tuple[str, type]] = {
    "dataset": ("--dataset", str),
    "csv": ("--csv", str),
    "qubits": ("--qubits", int),
    "layers": ("--layers", int),
    "entangle": ("--entangle", bool),
    "cost": ("--cost", str),
    "strategy": ("--strategy", str),
    "optimizer": ("--optimizer", str),
    "learning_rate": ("--learning-rate", float),
    "batch_size": ("--batch-size", int),
    "init": ("--init", str),
    "epochs": ("--epochs", int),
    "restarts": ("--restarts", int),
    "seed": ("--seed", int),
    "train_size": ("--train-size", int),
    "test_size": ("--test-size", int),
    "noise": ("--noise", float),
    "classes": ("--classes", int),
    "paper_draw": ("--paper-draw", bool),
}

# Sweep setting -> the column of ``playground train --json`` that reports it (filled in for error rows too).
_SUMMARY_KEY = {
    "qubits": "n_qubits",
    "layers": "n_layers",
    "entangle": "entangled",
    "train_size": "n_train",
    "test_size": "n_test",
    "classes": "n_classes",
}

# The fields of ``playground train --json`` (its order), then the sweep's own.
SUMMARY_COLUMNS = (
    "dataset", "n_qubits", "n_layers", "entangled", "n_features", "n_classes", "n_params", "cost", "strategy",
    "optimizer", "learning_rate", "batch_size", "init", "seed", "kept_seed", "epochs", "restarts", "n_train",
    "n_test", "noise", "paper_draw", "steps", "train_accuracy", "test_accuracy", "final_loss", "seconds",
)
COLUMNS = ("run_id", "status", *SUMMARY_COLUMNS, "worker", "command", "error")
_BOOL_COLUMNS = {"entangled", "paper_draw"}
_INT_COLUMNS = {"n_qubits", "n_layers", "n_features", "n_classes", "n_params", "batch_size", "seed", "kept_seed",
                "epochs", "restarts", "n_train", "n_test", "steps"}
_FLOAT_COLUMNS = {"learning_rate", "noise", "train_accuracy", "test_accuracy", "final_loss", "seconds"}
_FILE_KEYS = ("grid", "grids", "runs", "base")


class SweepError(ValueError):
    """A sweep that cannot start: a bad grid, file or table. One line, naming what is wrong."""


# ------------------------------------------------------------------------------------------------ settings


def _value(key: str, value: Any) -> Any:
    """One setting's value, checked for its type (``True``/``"yes"`` for a flag, an int for an int, ...)."""
    if key not in FIELDS:
        raise SweepError(f"{key}: expected one of the settings {', '.join(FIELDS)}, got {key!r}")
    kind = FIELDS[key][1]
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("yes", "true", "no", "false"):
            return value.lower() in ("yes", "true")
        raise SweepError(f"{key}: expected yes/no (true/false), got {str(value)[:40]!r}")
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise SweepError(f"{key}: expected an integer, got {str(value)[:40]!r}")
        try:
            return int(value)
        except ValueError:
            raise SweepError(f"{key}: expected an integer, got {str(value)[:40]!r}") from None
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise SweepError(f"{key}: expected a number, got {str(value)[:40]!r}")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise SweepError(f"{key}: expected a finite number, got {str(value)[:40]!r}")
        return number
    if not isinstance(value, str) or not value or len(value) > 1000:
        raise SweepError(f"{key}: expected a non-empty string, got {str(value)[:40]!r}")
    return value


def choices(key: str, spec: Any) -> list[Any]:
    """A grid entry as its list of values: a list, one value, or (integers) a range ``"A-B"``."""
    if isinstance(spec, (list, tuple)):
        if not spec:
            raise SweepError(f"{key}: expected at least one value, got an empty list")
        out: list[Any] = []
        for item in spec:
            out += choices(key, item) if isinstance(item, str) and FIELDS.get(key, ("", str))[1] is int else [_value(key, item)]
        return out
    if isinstance(spec, str) and key in FIELDS and FIELDS[key][1] is int and "-" in spec.strip()[1:]:
        lo_text, hi_text = spec.strip().split("-", 1)
        try:
            lo, hi = int(lo_text), int(hi_text)
        except ValueError:
            raise SweepError(f"{key}: expected a range such as 1-10, got {spec[:40]!r}") from None
        if hi < lo or hi - lo >= MAX_RUNS:
            raise SweepError(f"{key}: expected a range A-B with A <= B (at most {MAX_RUNS} values), got {spec[:40]!r}")
        return list(range(lo, hi + 1))
    return [_value(key, spec)]


def run_id(settings: Mapping[str, Any]) -> str:
    """A stable id of a run: a hash of its settings (the same settings always give the same id)."""
    canon = json.dumps({k: settings[k] for k in sorted(settings)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def train_argv(settings: Mapping[str, Any]) -> list[str]:
    """The ``playground train`` flags of a run (without ``--json``)."""
    argv: list[str] = []
    for key in FIELDS:
        if key not in settings:
            continue
        flag, kind = FIELDS[key]
        value = settings[key]
        if kind is bool:
            if value:
                argv.append(flag)
        else:
            argv += [flag, repr(value) if kind is float else str(value)]
    return argv


def _command(settings: Mapping[str, Any]) -> str:
    return shlex.join(["playground", "train", *train_argv(settings), "--json"])


def _describe(settings: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={settings[k]}" for k in FIELDS if k in settings)


def _check_runs(runs: Sequence[Mapping[str, Any]]) -> None:
    """Check every run's flags the way ``playground train`` parses them (ranges, choices)."""
    parser = train_parser()
    for i, settings in enumerate(runs):
        try:
            parser.parse_args([*train_argv(settings), "--json"])
        except ValueError as err:
            raise SweepError(f"run {i + 1} ({_describe(settings)}): {str(err).splitlines()[0]}") from None


@dataclass
class Sweep:
    """The runs of a sweep (each a dict of settings, no two alike) and how many grid points were left out."""

    runs: list[dict[str, Any]]
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.runs)


def expand(grids: Sequence[Mapping[str, Any]], runs: Sequence[Mapping[str, Any]] = (), *,
           base: Mapping[str, Any] | None = None, override: Mapping[str, Any] | None = None) -> Sweep:
    """The runs of grids (their cartesian products, in :data:`FIELDS` order) and explicit runs.

    ``base`` sits under every run, ``override`` over it (a sweep file's ``base``; the command line's flags).
    Duplicates keep their first place. Raises :class:`SweepError` for a bad value, or a sweep over
    :data:`MAX_RUNS` runs, naming the run and the setting.
    """
    base_choices = {k: choices(k, v) for k, v in (base or {}).items()}
    over_choices = {k: choices(k, v) for k, v in (override or {}).items()}
    layers: list[dict[str, list[Any]]] = []
    for grid in grids:
        if not isinstance(grid, Mapping):
            raise SweepError(f"grid: expected a table of settings, got {str(grid)[:40]!r}")
        layers.append({**base_choices, **{k: choices(k, v) for k, v in grid.items()}, **over_choices})
    for run in runs:
        if not isinstance(run, Mapping):
            raise SweepError(f"runs: expected a table of settings per run, got {str(run)[:40]!r}")
        single = {k: [_value(k, v)] for k, v in run.items()}
        layers.append({**base_choices, **single, **over_choices})
    if not layers and over_choices:
        layers.append({**base_choices, **over_choices})
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    skipped = 0
    for layer in layers:
        keys = [k for k in FIELDS if k in layer]
        size = math.prod(len(layer[k]) for k in keys)
        if size + len(out) > MAX_RUNS:
            raise SweepError(f"sweep: expected at most {MAX_RUNS} runs, got {size + len(out)} or more")
        for values in itertools.product(*(layer[k] for k in keys)):
            settings = dict(zip(keys, values))
            if settings.get("entangle") and settings.get("qubits", 1) < 2:
                skipped += 1
                continue
            rid = run_id(settings)
            if rid in seen:
                continue
            seen.add(rid)
            out.append(settings)
    if not out:
        raise SweepError("sweep: expected at least one run, got none (give a sweep file or settings such as --dataset)")
    _check_runs(out)
    return Sweep(out, skipped)


def load_sweep(path: str, *, override: Mapping[str, Any] | None = None) -> Sweep:
    """Read a sweep file (``.json``, ``.toml``, ``.yaml``/``.yml``) and expand it; raises :class:`SweepError`."""
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise SweepError(f"{path}: expected a sweep file of at most {MAX_FILE_BYTES} bytes, got {size}")
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise SweepError(f"{path}: {err.strerror or err}") from None
    ext = os.path.splitext(path)[1].lower()
    try:
        text = raw.decode("utf-8")
        if ext == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif ext in (".yaml", ".yml"):
            try:
                import yaml
            except ModuleNotFoundError:
                raise SweepError(f"{path}: reading YAML needs PyYAML (pip install pyyaml), or use JSON or TOML") from None
            data = yaml.safe_load(text)
        elif ext == ".json":
            data = json.loads(text)
        else:
            raise SweepError(f"{path}: expected a .json, .toml, .yaml or .yml file, got {ext or 'no extension'!r}")
    except SweepError:
        raise
    except Exception as err:  # the parsers' own errors: one line
        raise SweepError(f"{path}: not valid {ext[1:].upper()}: {str(err).splitlines()[0][:200]}") from None
    if not isinstance(data, dict):
        raise SweepError(f"{path}: expected a table with {', '.join(_FILE_KEYS)}, got {type(data).__name__}")
    unknown = sorted(set(data) - set(_FILE_KEYS))
    if unknown:
        raise SweepError(f"{path}: expected the keys {', '.join(_FILE_KEYS)}, got {unknown[0]!r}")
    grids = data.get("grids", [])
    if not isinstance(grids, list):
        raise SweepError(f"{path}: grids: expected a list of grids, got {type(grids).__name__}")
    if "grid" in data:
        grids = [data["grid"], *grids]
    runs = data.get("runs", [])
    if not isinstance(runs, list):
        raise SweepError(f"{path}: runs: expected a list of runs, got {type(runs).__name__}")
    base = data.get("base", {})
    if not isinstance(base, dict):
        raise SweepError(f"{path}: base: expected a table of settings, got {type(base).__name__}")
    if not grids and not runs:
        raise SweepError(f"{path}: expected a grid, grids or runs, got none")
    return expand(grids, runs, base=base, override=override)


# ------------------------------------------------------------------------------------------------ one run


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"local:{socket.gethostname()}:{os.getpid()}"


def _blank_row(settings: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in COLUMNS}
    for key, value in settings.items():
        column = _SUMMARY_KEY.get(key, key)
        if column in row:
            row[column] = value
    row.update(run_id=run_id(settings), command=_command(settings))
    return row


def run_one(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Make one run exactly as ``playground train ... --json`` does; returns its row (an error row if it raised).

    BLAS and OpenMP use one thread inside the run (a worker per core is the parallelism).
    """
    from threadpoolctl import threadpool_limits

    row = _blank_row(settings)
    row["worker"] = _worker_name()
    try:
        args = train_parser().parse_args([*train_argv(settings), "--json"])
        with threadpool_limits(limits=1):
            summary, _ = train_summary(args)
        row.update({k: summary[k] for k in SUMMARY_COLUMNS})
        row["status"] = "ok"
    except Exception as err:  # a failing run is a row, never a lost sweep
        message = str(err).splitlines()[0] if str(err) else ""
        row["status"] = "error"
        row["error"] = f"{type(err).__name__}: {message}"[:MAX_ERROR_CHARS]
    return row


# ------------------------------------------------------------------------------------------------ the table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back to the same float
    return str(value)


def parse_cell(column: str, text: str) -> Any:
    if text == "":
        return None
    try:
        if column in _BOOL_COLUMNS:
            return text == "true"
        if column in _INT_COLUMNS:
            return int(text)
        if column in _FLOAT_COLUMNS:
            return float(text)
    except ValueError:
        return text
    return text


class ResultsTable:
    """The sweep's CSV table: read what is there, append rows one by one (flushed to disk), one writer at a time.

    A row cut short by a killed process (the file does not end with a line break) is dropped on opening, so
    that run is made again.
    """

    def __init__(self, path: str):
        self.path = path
        self._fh: io.TextIOWrapper | None = None

    def read(self) -> list[dict[str, Any]]:
        """The complete rows of the table (an absent file: none). Raises :class:`SweepError` if it is not a sweep table."""
        if not os.path.exists(self.path):
            return []
        with open(self.path, encoding="utf-8", newline="") as fh:
            text = fh.read()
        if not text:
            return []
        if not text.endswith("\n"):
            text = text[: text.rfind("\n") + 1]
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is None:
            return []
        if tuple(header) != COLUMNS:
            raise SweepError(f"{self.path}: expected a sweep table (columns {', '.join(COLUMNS[:3])}, ...), got other columns")
        return [{c: parse_cell(c, v) for c, v in zip(COLUMNS, line)} for line in reader if len(line) == len(COLUMNS)]

    def open(self) -> "ResultsTable":
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise SweepError(f"--out: expected a file in an existing folder, got {self.path!r}")
        if os.path.isdir(self.path):
            raise SweepError(f"--out: expected a file name, got the folder {self.path!r}")
        self.read()  # refuses a file that is not a sweep table before touching it
        fh = open(self.path, "a+", encoding="utf-8", newline="")
        try:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX
            pass
        except OSError:
            fh.close()
            raise SweepError(f"{self.path}: another sweep is writing this table") from None
        fh.seek(0)
        text = fh.read()
        if text and not text.endswith("\n"):  # a row cut short: drop it
            fh.truncate(text.rfind("\n") + 1)
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            csv.writer(fh).writerow(COLUMNS)
            fh.flush()
        self._fh = fh
        return self

    def append(self, row: Mapping[str, Any]) -> None:
        assert self._fh is not None, "open() first"
        csv.writer(self._fh).writerow([_cell(row.get(c)) for c in COLUMNS])
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "ResultsTable":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()


# ------------------------------------------------------------------------------------------------ running


@dataclass
class SweepReport:
    total: int
    already: int
    done: int = 0
    errors: int = 0
    seconds: float = 0.0
    workers: list[str] = field(default_factory=list)  # the workers that made runs, in the order they first did


def local_cluster(workers: int, dashboard: bool = False):
    """A Dask cluster on this machine: ``workers`` processes, one thread each, BLAS/OpenMP/Numba on one thread."""
    import logging

    from distributed import LocalCluster

    threads = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":8787" if dashboard else None,
        # Without the dashboard the scheduler still serves /health on an HTTP port: any free one, so that a
        # second sweep on this machine does not warn that 8787 is taken.
        scheduler_kwargs=None if dashboard else {"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
        env=threads,
    )


def run_sweep(
    sweep: Sweep,
    out: str,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    retry_errors: bool = False,
    progress: bool = True,
    dashboard: bool = False,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    serial: bool = False,
    client: Any = None,
) -> SweepReport:
    """Make the runs of ``sweep`` that ``out`` does not hold yet, on Dask, appending a row as each one ends.

    ``scheduler``: the address of an existing Dask scheduler (``tcp://host:8786``); otherwise a
    :class:`~distributed.LocalCluster` of ``workers`` processes (default: one per core), one thread each.
    ``client``: an already connected :class:`~distributed.Client` to use (left open). ``serial``: no Dask at all, the
    runs one after another in this process. Ctrl-C (or SIGTERM) stops the sweep;
    the rows already written stay, and the next call with the same table goes on from there.
    """
    table = ResultsTable(out)
    present = table.read()
    done_ids = {r["run_id"] for r in present if r["status"] == "ok" or not retry_errors}
    todo = [s for s in sweep.runs if run_id(s) not in done_ids]
    report = SweepReport(total=len(sweep.runs), already=len(sweep.runs) - len(todo))
    t0 = time.perf_counter()
    with table:
        bar = _progress_bar(len(todo), report.already, progress)
        try:
            for row in _rows(todo, workers=workers, scheduler=scheduler, dashboard=dashboard, serial=serial,
                             client=client, report=report):
                table.append(row)
                if row["worker"] and row["worker"] not in report.workers:
                    report.workers.append(row["worker"])
                report.done += 1
                report.errors += row["status"] != "ok"
                bar.update(1)
                if report.errors:
                    bar.set_postfix(errors=report.errors, refresh=False)
                if on_row is not None:
                    on_row(row)
        finally:
            bar.close()
            report.seconds = time.perf_counter() - t0
    return report


def _progress_bar(total: int, already: int, enabled: bool):
    from tqdm import tqdm

    desc = f"sweep ({already} already done)" if already else "sweep"
    return tqdm(total=total, unit="run", desc=desc, file=sys.stderr, disable=not enabled, dynamic_ncols=True,
                smoothing=0.1)


def _rows(todo: list[dict[str, Any]], *, workers, scheduler, dashboard, serial, client, report) -> Iterable[dict[str, Any]]:
    if not todo:
        return
    if serial:
        for settings in todo:
            yield run_one(settings)
        return
    try:
        from distributed import Client, as_completed
    except ModuleNotFoundError:
        raise SweepError("sweep: needs Dask (pip install 'dask[distributed]'), or run it with --serial") from None
    cluster, own = None, client is None
    if client is not None:
        pass
    elif scheduler is None:
        n = workers or os.cpu_count() or 1
        cluster = local_cluster(n, dashboard)
        client = Client(cluster)
        client.wait_for_workers(n, timeout=300)  # every worker up before the runs are handed out
    else:
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError) as err:
            raise SweepError(f"--scheduler: cannot reach a Dask scheduler at {scheduler!r} ({err})") from None
    try:
        futures = {
            client.submit(run_one, settings, key=f"run-{run_id(settings)}", pure=False): settings for settings in todo
        }
        for future in as_completed(futures):
            settings = futures.pop(future)
            try:
                row = future.result()
            except Exception as err:  # the worker itself died (KilledWorker, ...): still a row
                row = _blank_row(settings)
                row.update(status="error", worker=None,
                           error=f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:MAX_ERROR_CHARS])
            yield row
    finally:
        if own:
            client.close()
        if cluster is not None:
            cluster.close()
