"""The Explore page without a browser: the built-in paper grid as heat maps, a pick, its box plot and link; an
uploaded sweep table; bad uploads change nothing; every link opens its configuration in the playground."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest

from apps.explore import BUILT_IN, MAX_UPLOAD_BYTES, STATISTICS, UPLOADED, ExploreApp, playground_href
from apps.playground_app import PlaygroundApp
from apps.settings import _without_uids
from playground.paper_tables import PAPER_TABLES
from playground.spec import CircuitSpec
from playground.sweep import ResultsTable, run_one


def _playground(href: str) -> PlaygroundApp:
    """The playground page the link opens (its settings are what a person sees)."""
    assert href.startswith("./?")
    args = {k: [v[-1].encode()] for k, v in parse_qs(href[3:], keep_blank_values=True).items()}
    return PlaygroundApp(args)


def _upload(app: ExploreApp, data: bytes, name: str = "mine.csv") -> None:
    app.upload.filename = name
    app._on_upload(SimpleNamespace(new=data))


@pytest.fixture(scope="module")
def small_table(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("t") / "t.csv"
    with ResultsTable(str(path)) as table:
        for q in (1, 2):
            for layers in (1, 2):
                for seed in (1, 2):
                    table.append(run_one(dict(dataset="moons", qubits=q, layers=layers, seed=seed, epochs=2,
                                              train_size=30, test_size=40, restarts=1)))
    return path.read_bytes()


def test_the_built_in_grid_shows_every_table_as_heat_maps_and_picks_a_cell():
    app = ExploreApp()
    assert app.source == BUILT_IN and app.param.dataset.objects == list(PAPER_TABLES)
    assert app.dataset == "circle"
    # four facets (cost × entanglement), each a heat map of layers × qubits
    assert len(app.heatmap_box.objects) == 4
    wf_ent = app.heatmaps[("weighted_fidelity", True)]
    assert list(wf_ent.figure.y_range.factors) == ["2", "4"]
    assert list(wf_ent.figure.x_range.factors) == ["2", "3", "4", "5", "6", "8", "10"]
    assert len(wf_ent.source.data["x"]) == 14
    # a tap on the cell (layers 4, qubits 2) of that facet: synthetic coordinates, factor i is centred on i + 0.5
    wf_ent._tap(SimpleNamespace(x=2.5, y=0.5))
    assert app.picked == ("weighted_fidelity", True, 2, 4)
    assert wf_ent.selection.data == {"x": ["4"], "y": ["2"]}
    assert "χ²_wf 2q ent, 4 layers" in app.cell_text.object and "The paper: 0.96." in app.cell_text.object
    assert "open-in-playground" in app.cell_text.object
    # the box plot: ten starts at every number of layers of that configuration, the best-of star, the paper's diamond
    box = app.boxplot
    assert list(box.figure.x_range.factors) == ["2", "3", "4", "5", "6", "8", "10"]
    assert len(box.dots.data["y"]) == 70 and len(box.best.data["y"]) == 7 and len(box.paper.data["y"]) == 7
    assert box.paper.data["y"][box.paper.data["x"].index("4")] == 0.96
    app.dataset = "annulus"
    assert len(app.heatmap_box.objects) == 4 and app.picked == ("weighted_fidelity", True, 4, 10)
    assert "Every configuration of annulus" in app.table.object


@pytest.mark.parametrize("statistic", list(STATISTICS))
def test_every_statistic_fills_the_cells(statistic):
    app = ExploreApp()
    app.dataset = "annulus"
    app.statistic = statistic
    labels = [label for view in app.heatmaps.values() for label in view.source.data["label"]]
    assert len(labels) == 61 and all(label != "–" for label in labels)
    if STATISTICS[statistic].endswith("_minus_paper"):
        assert all(label[0] in "+-" for label in labels)


def test_a_link_opens_that_configuration_in_the_playground():
    app = ExploreApp()
    app.dataset = "annulus"
    app.heatmaps[("weighted_fidelity", True)]._tap(SimpleNamespace(x=2.5, y=0.5))  # 2 qubits, 4 layers
    href = app.cell_text.object.split("href='")[1].split("'")[0].replace("&amp;", "&")
    page = _playground(href).settings
    assert (page.dataset, page.paper_draw, page.n_qubits, page.n_layers) == ("annulus", True, 2, 4)
    assert (page.entangler, page.cost, page.optimizer) == ("cz-chain", "weighted_fidelity", "lbfgs")
    assert _without_uids(page.circuit) == _without_uids(CircuitSpec.paper(2, 4, entangled=True))


def test_hypersphere_links_carry_the_authors_circuit():
    href = playground_href(dict(dataset="hypersphere", n_qubits=2, n_layers=3, entangled=True, cost="fidelity",
                                optimizer="lbfgs", strategy="state", init="uniform", paper_draw=True), seed=5)
    page = _playground(href).settings
    assert _without_uids(page.circuit) == _without_uids(CircuitSpec.paper_code(2, 3, entangled=True, n_features=4))
    assert page.seed == 5 and page.paper_draw and page.readout == "state"
    plain = playground_href(dict(dataset="moons", n_qubits=4, n_layers=2, entangled=False, cost="fidelity",
                                 optimizer="adam", paper_draw=False))
    page = _playground(plain).settings
    assert (page.dataset, page.n_qubits, page.n_layers, page.entangler, page.optimizer) == ("moons", 4, 2, "none", "adam")
    assert not page.circuit.uses_entanglement() and not page.paper_draw


def test_an_uploaded_sweep_table_replaces_the_view(small_table):
    app = ExploreApp()
    _upload(app, small_table)
    assert app.source == UPLOADED and app.param.dataset.objects == ["moons"]
    assert "Opened mine.csv: 8 runs." in app.notice.object
    assert len(app.heatmap_box.objects) == 1
    view = next(iter(app.heatmaps.values()))
    assert sorted(view.source.data["y"]) == ["1", "1", "2", "2"]
    app.source = BUILT_IN
    assert app.dataset == "circle" and len(app.heatmap_box.objects) == 4
    app.source = UPLOADED
    assert app.dataset == "moons"


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"\x00\x01\x02binary\xff", "expected a UTF-8 text file"),
        (b"dataset,qubits\ncircle,1\n", "expected the columns of a playground sweep table"),
        (b"<script>alert(1)</script>\n", "&lt;script&gt;"),
        (b"x" * (MAX_UPLOAD_BYTES + 1), "at most 5 MB"),
    ],
)
def test_a_bad_upload_says_why_and_changes_nothing(data, fragment):
    app = ExploreApp()
    before = (app.source, app.dataset, app.picked, app.table.object)
    _upload(app, data, name="<b>evil</b>.csv")
    assert fragment in app.notice.object and "nothing changed" in app.notice.object
    assert "<b>evil" not in app.notice.object and "&lt;b&gt;evil" in app.notice.object
    assert (app.source, app.dataset, app.picked, app.table.object) == before


def test_a_setting_that_varies_in_a_sweep_gets_its_own_menu(tmp_path):
    path = tmp_path / "opt.csv"
    with ResultsTable(str(path)) as table:
        for optimizer in ("adam", "sgd"):
            for layers in (1, 2):
                table.append(run_one(dict(dataset="moons", qubits=1, layers=layers, optimizer=optimizer, epochs=2,
                                          train_size=30, test_size=40, seed=4)))
    app = ExploreApp()
    assert app.filter_row.objects == []  # the paper grid: every setting but the facets is fixed per dataset
    _upload(app, path.read_bytes())
    (menu,) = app.filter_row.objects  # the optimizers' own learning rates vary with them: one menu of both
    assert list(menu.options) == ["optimizer adam, learning rate 0.05", "optimizer sgd, learning rate 0.1"]
    view = next(iter(app.heatmaps.values()))
    adam = list(view.source.data["label"])
    menu.value = menu.options["optimizer sgd, learning rate 0.1"]
    sgd = list(view.source.data["label"])
    rows = ResultsTable(str(path)).read()
    assert sgd == [f"{r['test_accuracy']:.2f}" for r in rows if r["optimizer"] == "sgd"]
    assert adam == [f"{r['test_accuracy']:.2f}" for r in rows if r["optimizer"] == "adam"]
