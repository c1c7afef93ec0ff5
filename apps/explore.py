"""The Explore page (``/explore``): a sweep's results as heat maps, box plots over seeds and a table.

Data flows one way: a table (the built-in paper grid, or an uploaded ``playground sweep`` CSV) → its summary
(:func:`playground.results.summarise`, one row per configuration) → the views. A tap on a heat-map cell (or a row of
the table) picks a configuration; the page then shows its runs over seeds and a link that opens it in the playground.
"""

from __future__ import annotations

import functools
import math
import os
from html import escape
from typing import Any

import pandas as pd
import panel as pn
import param

from playground.paper_tables import column_label
from playground.results import BUILT_IN_TABLE, read_table, summarise
from playground.spec import CircuitSpec
from playground.sweep import SweepError

from .settings import PlaygroundSettings, to_query

__all__ = ["ExploreApp", "create_explore", "playground_href", "heatmap_name", "MAX_UPLOAD_BYTES", "TITLE"]

TITLE = "Explore many runs"
MAX_UPLOAD_BYTES = 5_000_000
BUILT_IN = "The paper's Tables 1–4 (built in)"
UPLOADED = "Your sweep table"
STATISTICS = {
    "Mean of single starts": "mean",
    "Median of single starts": "median",
    "Best of 20 starts (the command line's default)": "best_of",
    "The paper's figure": "paper",
    "Mean of single starts − the paper": "mean_minus_paper",
    "Best of 20 − the paper": "best_minus_paper",
}
_COSTS = {"fidelity": "fidelity cost χ²_f", "weighted_fidelity": "weighted fidelity χ²_wf",
          "cross_entropy": "cross-entropy"}
# Settings that may vary within a sweep besides the facets; each gets a menu when it takes several values.
_FILTERS = ("optimizer", "strategy", "init", "learning_rate", "batch_size", "epochs", "n_train", "n_test", "noise",
            "n_classes", "paper_draw")  # per dataset: a setting that varies between datasets only is no choice
_PAGE_CSS = """
.pg-results { border-collapse: collapse; font-size: max(14px, var(--pg-min-font, 0px)); }
.pg-results caption { text-align: left; font-weight: 600; padding: 4px 0; }
.pg-results th, .pg-results td { border-bottom: 1px solid #d0d7de; padding: 3px 8px; text-align: right; white-space: nowrap; }
.pg-results th[scope=row] { text-align: left; font-weight: 500; }
.pg-results tr.pg-selected { background: #fff3c4; }
.pg-results a { color: #0b5cad; }
.pg-table-wrap { position: relative; max-height: 420px; max-width: calc(100vw - 40px); overflow: auto; }
.pg-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
"""
_HEADER_CSS = """
h1 { font-size: max(24px, var(--pg-min-font, 0px)); margin: 0; font-weight: 650; color: #ffffff; }
p { margin: 2px 0 0 0; color: #dbe4f0; font-size: max(14px, var(--pg-min-font, 0px)); }
a { color: #ffffff; }
"""
_TEXT_CSS = ":host { font-size: max(14px, var(--pg-min-font, 0px)); line-height: 1.45; }"


def heatmap_name(cost: str, entangled: bool) -> str:
    """The Bokeh model name of a facet's heat map (the browser tests find it by this name)."""
    return f"heatmap-{cost}-{'entangled' if entangled else 'plain'}"


def _none(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


_HREF_KEYS = ("dataset", "n_qubits", "n_layers", "entangled", "cost", "optimizer", "strategy", "init", "paper_draw")


def playground_href(config: dict[str, Any], seed: int | None = None) -> str:
    """A relative link (``./?…``) that opens a configuration in the playground (its circuit, data, cost, optimizer)."""
    key = tuple(_none(config.get(k)) for k in _HREF_KEYS)
    return _href_cached(key, None if seed is None else int(seed))


@functools.lru_cache(maxsize=4096)
def _href_cached(key: tuple, seed: int | None) -> str:
    config = dict(zip(_HREF_KEYS, key))
    q, layers, ent = int(config["n_qubits"]), int(config["n_layers"]), bool(config["entangled"])
    values: dict[str, Any] = dict(dataset=config["dataset"], cost=config["cost"], optimizer=config["optimizer"])
    if _none(config.get("strategy")) in ("state", "focused"):
        values["readout"] = config["strategy"]
    if _none(config.get("init")) in ("uniform", "small", "zeros"):
        values["init"] = config["init"]
    if seed is not None and 0 <= int(seed) < 2**31:
        values["seed"] = int(seed)
    paper_draw = bool(_none(config.get("paper_draw")))
    settings = PlaygroundSettings()
    try:
        settings.param.update(**values)
    except ValueError:
        pass
    if paper_draw:
        settings.paper_draw = True
    n_features = settings.circuit.n_features
    build = CircuitSpec.paper_code if paper_draw else CircuitSpec.paper
    try:
        settings.circuit = build(q, layers, entangled=ent, n_features=n_features)
    except ValueError:
        pass
    return "./?" + to_query(settings)


class ExploreApp(pn.viewable.Viewer):
    """Everything the Explore page shows, for one tab."""

    source = param.Selector(default=BUILT_IN, objects=[BUILT_IN, UPLOADED], doc="Which table is shown.")
    dataset = param.Selector(default=None, objects=[], doc="The dataset whose runs are shown.")
    statistic = param.Selector(default="Mean of single starts", objects=list(STATISTICS), doc="What a cell shows.")
    picked = param.Parameter(default=None, doc="The configuration picked (its key), or None.")
    message = param.String(default="", doc="The last upload's outcome (plain text, shown escaped).")

    def __init__(self, **params):
        super().__init__(**params)
        self._quiet = False
        self._tables: dict[str, pd.DataFrame] = {}
        self._summary = pd.DataFrame()
        self._varying: list[str] = []
        self._other: pn.widgets.Select | None = None
        self.source_select = pn.widgets.RadioButtonGroup.from_param(self.param.source, color="primary",
                                                                    margin=(6, 10), label="Table")
        self.upload = pn.widgets.FileInput(accept=".csv,text/csv", label="Open a sweep table (.csv)", margin=(6, 10),
                                           width=300)
        self.upload.param.watch(self._on_upload, "value")
        self.dataset_select = pn.widgets.Select.from_param(self.param.dataset, label="Dataset", width=200)
        self.statistic_select = pn.widgets.Select.from_param(self.param.statistic, label="Each cell shows", width=330)
        self.filter_row = pn.Row(margin=0)
        self.notice = pn.pane.HTML("", margin=(2, 10), stylesheets=[_TEXT_CSS])
        self.heatmaps: dict[tuple[str, bool], Any] = {}
        self.heatmap_box = pn.FlexBox(margin=0, sizing_mode="stretch_width")
        self.cell_text = pn.pane.HTML("", margin=(4, 10), stylesheets=[_TEXT_CSS], sizing_mode="stretch_width")
        from widgets.explore import BoxPlotView

        self.boxplot = BoxPlotView()
        self.table = pn.pane.HTML("", margin=(4, 10), stylesheets=[_PAGE_CSS], sizing_mode="stretch_width")
        self.param.watch(lambda e: self._show_source(), "source")
        self.param.watch(lambda e: None if self._quiet else self._show_dataset(), "dataset")
        self.param.watch(lambda e: self._render_heatmaps(), "statistic")
        self.param.watch(lambda e: None if self._quiet else self._render_pick(), "picked")
        self.param.watch(lambda e: self._render_message(), "message")
        self._load_built_in()
        self._layout = self._build_layout()

    # ------------------------------------------------------------------ data
    def _load_built_in(self) -> None:
        try:
            self._tables[BUILT_IN] = _built_in_summary(os.path.getmtime(BUILT_IN_TABLE))
        except (SweepError, OSError) as err:  # a broken install: say so, keep the page
            self._tables[BUILT_IN] = pd.DataFrame()
            self.message = str(err)
        self._show_source()

    def _on_upload(self, event) -> None:
        data = event.new
        name = (self.upload.filename or "the file")[:120]
        if not data:
            return
        if len(data) > MAX_UPLOAD_BYTES:
            self.message = f"{name}: expected a sweep table of at most 5 MB, got {len(data) / 1e6:.1f} MB; nothing changed."
            return
        try:
            table = read_table(data, name=name)
            if not (table["status"] == "ok").any():
                raise SweepError(f"{name}: expected at least one finished run (status ok), got none")
        except SweepError as err:
            self.message = f"{err}; nothing changed."
            return
        self._tables[UPLOADED] = summarise(table, paper=True)
        self.message = f"Opened {name}: {len(table)} runs."
        if self.source == UPLOADED:
            self._show_source()
        else:
            self.source = UPLOADED

    def _show_source(self) -> None:
        summary = self._tables.get(self.source)
        if summary is None or summary.empty:
            self._summary = pd.DataFrame()
            if self.source == UPLOADED and summary is None:
                self.message = self.message or "Open a table written by playground sweep (the button above)."
            self._quiet = True
            try:
                self.param.dataset.objects = []
                self.dataset = None
            finally:
                self._quiet = False
            self._render_all()
            return
        self._summary = summary
        datasets = list(dict.fromkeys(self._summary["dataset"]))
        self._quiet = True
        try:
            self.param.dataset.objects = datasets
            self.dataset = datasets[0] if datasets else None
        finally:
            self._quiet = False
        self._show_dataset()

    def _make_filters(self) -> None:
        """One "Other settings" menu when settings besides the facets vary within the dataset: its options are the
        combinations the table holds (say "optimizer adam, learning rate 0.05"), so no choice is ever empty."""
        self._varying, self._other = [], None
        rows = self._summary[self._summary["dataset"] == self.dataset] if not self._summary.empty else self._summary
        if not rows.empty:
            self._varying = [c for c in _FILTERS if rows[c].map(lambda v: str(_none(v))).nunique() > 1]
        if self._varying:
            combos = dict.fromkeys(tuple(str(_none(v)) for v in values)
                                   for values in zip(*(rows[c] for c in self._varying)))
            options = {", ".join(f"{c.replace('_', ' ')} {v}" for c, v in zip(self._varying, combo)): combo
                       for combo in combos}
            self._other = pn.widgets.Select(label="Other settings", options=options, width=330)
            self._other.param.watch(lambda e: self._show_filtered(), "value")
        self.filter_row.objects = [self._other] if self._other is not None else []

    def _selected_summary(self) -> pd.DataFrame:
        s = self._summary
        if s.empty or self.dataset is None:
            return s.iloc[0:0] if not s.empty else s
        s = s[s["dataset"] == self.dataset]
        if self._other is not None:
            want = self._other.value
            keep = [tuple(str(_none(v)) for v in values) == want for values in zip(*(s[c] for c in self._varying))]
            s = s[keep]
        return s

    def _show_dataset(self) -> None:
        self._make_filters()
        self._show_filtered()

    def _show_filtered(self) -> None:
        s = self._selected_summary()
        self._quiet = True
        try:  # start on the last configuration: the most qubits, entangled, the most layers
            self.picked = self._key(s.iloc[-1]) if not s.empty else None
        finally:
            self._quiet = False
        self._render_all()

    @staticmethod
    def _key(row) -> tuple:
        return (row["cost"], bool(row["entangled"]), int(row["n_qubits"]), int(row["n_layers"]))

    # ------------------------------------------------------------------ views
    def _render_all(self) -> None:
        self._render_heatmaps()
        self._render_pick()
        self._render_message()

    def _render_message(self) -> None:
        self.notice.object = f"<p role='status'>{escape(self.message)}</p>" if self.message else ""

    def _facets(self, s: pd.DataFrame) -> list[tuple[str, bool]]:
        return list(dict.fromkeys((c, bool(e)) for c, e in zip(s["cost"], s["entangled"])))

    def _render_heatmaps(self) -> None:
        from widgets.explore import HeatMapView

        s = self._selected_summary()
        column = STATISTICS[self.statistic]
        if not s.empty and column.endswith("_minus_paper"):
            ours = s["mean" if column.startswith("mean") else "best_of"].map(_none)
            s = s.assign(**{column: [None if a is None or _none(p) is None else a - p for a, p in zip(ours, s["paper"])]})
        panes = []
        values = [v for v in s[column].map(_none) if v is not None] if not s.empty else []
        if column.endswith("_minus_paper"):
            lo = None  # a diverging scale around 0
        else:
            lo = min(math.floor(min(values) * 20) / 20, 0.75) if values else 0.5
        for facet in self._facets(s) if not s.empty else []:
            view = self.heatmaps.get(facet)
            if view is None:
                cost, ent = facet
                title = f"{_COSTS.get(cost, cost)}, {'entangled' if ent else 'no entanglement'}"
                view = self.heatmaps[facet] = HeatMapView(title, self._pick, name=heatmap_name(cost, ent))
            cells = []
            for _, row in s[(s["cost"] == facet[0]) & (s["entangled"] == facet[1])].iterrows():
                value = _none(row[column])
                cells.append(dict(layers=int(row["n_layers"]), qubits=int(row["n_qubits"]), value=value,
                                  key=self._key(row), tip=self._tip(row)))
            view.update(cells, lo)
            view.select(self.picked)
            panes.append(view.pane)
        self.heatmap_box.objects = panes
        self._render_table(s)

    def _tip(self, row) -> str:
        parts = [f"{int(row['n_qubits'])} qubit{'s' if row['n_qubits'] > 1 else ''}, {int(row['n_layers'])} layers"]
        if _none(row["mean"]) is not None:
            sd = f" ± {row['std']:.3f}" if _none(row["std"]) is not None else ""
            parts.append(f"mean {row['mean']:.3f}{sd} over {int(row['runs'])} starts")
        if _none(row["best_of"]) is not None:
            parts.append(f"best of {int(row['best_of_restarts'])}: {row['best_of']:.3f}")
        if _none(row["paper"]) is not None:
            parts.append(f"paper {row['paper']:.2f}")
        return "; ".join(parts)

    def _config_label(self, row) -> str:
        if row["cost"] in ("fidelity", "weighted_fidelity") and not (row["n_qubits"] == 1 and row["entangled"]):
            return column_label(row["cost"], int(row["n_qubits"]), bool(row["entangled"]))
        return f"{row['cost']} {int(row['n_qubits'])}q{' ent' if row['entangled'] else ''}"

    @staticmethod
    def _href(row) -> str:
        """The configuration in the playground, started from the start its best-of run kept (else its first seed)."""
        seed = _none(row["best_of_seed"])
        if seed is None and row["seeds"]:
            seed = row["seeds"][0]
        return playground_href(row.to_dict(), seed)

    def _render_table(self, s: pd.DataFrame) -> None:
        from widgets.explore import results_table_html

        rows = []
        for _, row in s.iterrows():
            rows.append(dict(key=self._key(row), config=self._config_label(row), layers=row["n_layers"],
                             runs=int(row["runs"]), mean=_none(row["mean"]), std=_none(row["std"]),
                             median=_none(row["median"]), best_of=_none(row["best_of"]), paper=_none(row["paper"]),
                             href=self._href(row)))
        caption = f"Every configuration of {self.dataset}: test accuracy" if self.dataset else "No runs to show"
        self.table.object = results_table_html(rows, caption=caption, selected=self.picked)

    def _pick(self, key) -> None:
        self.picked = key

    def _render_pick(self) -> None:
        for view in self.heatmaps.values():
            view.select(self.picked)
        s = self._selected_summary()
        if self.picked is None or s.empty:
            self.cell_text.object = "<p>Tap a cell of a heat map to see its runs.</p>" if not s.empty else ""
            self.boxplot.update("", {})
            return
        cost, ent, q, layers = self.picked
        rows = s[(s["cost"] == cost) & (s["entangled"] == ent) & (s["n_qubits"] == q)]
        by_layers = {}
        for _, row in rows.iterrows():
            by_layers[int(row["n_layers"])] = dict(runs=list(row["accuracies"]), best_of=_none(row["best_of"]), paper=_none(row["paper"]))
        label = self._config_label(rows.iloc[0]) if not rows.empty else ""
        self.boxplot.update(f"{self.dataset}, {label}: test accuracy over starts", by_layers)
        here = rows[rows["n_layers"] == layers]
        if here.empty:
            self.cell_text.object = ""
            return
        row = here.iloc[0]
        href = self._href(row)
        lines = [f"<b>{escape(str(self.dataset))}, {escape(label)}, {layers} layers.</b>"]
        if _none(row["mean"]) is not None:
            sd = f" ± {row['std']:.3f}" if _none(row["std"]) is not None else ""
            lines.append(f"Single starts: mean {row['mean']:.3f}{sd}, median {row['median']:.3f}, "
                         f"from {row['min']:.3f} to {row['max']:.3f} over {int(row['runs'])} starts.")
        if _none(row["best_of"]) is not None:
            lines.append(f"Best of {int(row['best_of_restarts'])} starts (kept by training accuracy): {row['best_of']:.3f}.")
        if _none(row["paper"]) is not None:
            lines.append(f"The paper: {row['paper']:.2f}.")
        link = (f"<a href='{escape(href, quote=True)}' target='_blank' rel='noopener' data-testid='open-in-playground'>"
                f"Open this configuration in the playground</a>")
        self.cell_text.object = "<p data-testid='cell-figures'>" + " ".join(lines) + "</p><p>" + link + "</p>"

    # ------------------------------------------------------------------ layout
    def _build_layout(self):
        header = pn.pane.HTML(
            f"<h1>{escape(TITLE)}</h1><p>How accuracy grows with layers, qubits, entanglement and cost, and how much "
            "is luck: every cell summarises many training runs. <a href='./'>Back to the playground</a></p>",
            stylesheets=[_HEADER_CSS], margin=(10, 16))
        header_bar = pn.Row(header, styles={"background": "#1f3a5f"}, sizing_mode="stretch_width", margin=0)
        intro = pn.pane.HTML(
            "<p>The built-in table holds every published cell of the paper's Tables 1–4, made on the authors' own "
            "points: ten single L-BFGS starts per cell (seeds 0–9) and the command line's default, the best of 20 "
            "starts. Make your own with <code>playground sweep … -o results.csv</code> and open it here.</p>",
            margin=(4, 10), stylesheets=[_TEXT_CSS], sizing_mode="stretch_width")
        controls = pn.FlexBox(self.source_select, self.upload, self.dataset_select, self.statistic_select,
                              margin=(0, 4), sizing_mode="stretch_width")
        main = pn.Column(
            intro, controls, self.filter_row, self.notice, self.heatmap_box,
            pn.FlexBox(self.boxplot.pane, self.cell_text, margin=0, sizing_mode="stretch_width"),
            self.table, margin=(6, 6), sizing_mode="stretch_width")
        return pn.Column(header_bar, main, margin=0, sizing_mode="stretch_width")

    def __panel__(self):
        return self._layout


@functools.lru_cache(maxsize=2)
def _built_in_summary(mtime: float) -> pd.DataFrame:
    """The built-in table's summary, made once per process (every tab shares it; nothing modifies it)."""
    return summarise(read_table(BUILT_IN_TABLE, name="the built-in paper grid"), paper=True)


def create_explore() -> pn.viewable.Viewable:
    """Build the Explore page for the current session (the server calls this once per tab).

    The session counts towards the process's session cap like a playground tab (it holds a table in memory).
    """
    from . import input_bounds
    from .workers import frame_pool

    input_bounds.install()
    if pn.state.curdoc is not None and pn.state.curdoc.session_context:
        from .playground_app import _PAGE_TEMPLATE

        pn.state.curdoc.template = _PAGE_TEMPLATE
        pool = frame_pool()
        pool.session_opened()
        pn.state.on_session_destroyed(lambda ctx: pool.session_closed())
    return ExploreApp()
