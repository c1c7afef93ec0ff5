"""Plain-words explanations of the views (``assets/explanations.md``), each with its formula for those who want it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Explanation", "EXPLANATIONS", "VIEWS", "load_explanations"]

VIEWS = ("boundary", "curves", "spheres", "layers")
_FILE = Path(__file__).resolve().parent.parent / "assets" / "explanations.md"


@dataclass(frozen=True)
class Explanation:
    text: str  # plain sentences
    formula: str  # plain text with Unicode mathematics


def load_explanations(path: str | Path = _FILE) -> dict[str, Explanation]:
    """``## VIEW`` sections of plain text, each ending in one ``formula:`` line; every view of :data:`VIEWS` once."""
    path = Path(path)
    sections: dict[str, list[tuple[int, str]]] = {}
    current = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("## "):
            current = line[3:].strip()
            if current not in VIEWS or current in sections:
                raise ValueError(f"{path.name}, line {number}: expected one section for each of {', '.join(VIEWS)}, "
                                 f"got {current!r}")
            sections[current] = []
        elif current is not None and line.strip():
            sections[current].append((number, line.strip()))
    missing = [v for v in VIEWS if v not in sections]
    if missing:
        raise ValueError(f"{path.name}: expected a section for {', '.join(missing)}")
    out = {}
    for view, lines in sections.items():
        formulas = [(n, t) for n, t in lines if t.startswith("formula:")]
        if len(formulas) != 1 or lines[-1] != formulas[0]:
            raise ValueError(f"{path.name}, section {view}: expected the text, then one 'formula:' line last")
        text = " ".join(t for _, t in lines[:-1])
        out[view] = Explanation(text, formulas[0][1][len("formula:"):].strip())
    return out


EXPLANATIONS = load_explanations()
