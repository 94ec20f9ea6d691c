"""The C printer: renders the records of lgn2hw.backend.c.lower with the Jinja templates in templates/c/.

Nothing is decided here: ``render_library`` fills the templates with a ``CModel`` (and, for the
example program, ``ExampleVectors``) and returns file name -> text. Same records, same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import jinja2
import numpy as np

from ... import __version__
from ...resources import templates_dir
from .lower import CModel

HEADER = "{p}_model.h"
SOURCE = "{p}_model.c"


@dataclass(frozen=True)
class ExampleVectors:
    """Samples for the example program and the scores the simulator gave them, as C initializer rows."""

    count: int
    kind: str  # how the samples were made, for the comment
    features: tuple[str, ...]  # one row per sample, or () without an input encoding
    bits: tuple[str, ...]
    scores: tuple[str, ...]

    @classmethod
    def from_arrays(cls, kind: str, features: np.ndarray | None, packed: np.ndarray, scores: np.ndarray) -> ExampleVectors:
        def rows(a: np.ndarray) -> tuple[str, ...]:
            return tuple(", ".join(map(str, row)) for row in np.asarray(a, dtype=np.int64).tolist())

        return cls(int(packed.shape[0]), kind, rows(features) if features is not None else (), rows(packed), rows(scores))


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "c")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render_sources(model: CModel) -> dict[str, str]:
    """The library itself: ``<prefix>_model.h`` and ``<prefix>_model.c``."""
    env = _environment()
    context = {"m": model, "p": model.prefix, "P": model.macro, "version": __version__}
    return {
        HEADER.format(p=model.prefix): env.get_template("model.h.j2").render(**context),
        SOURCE.format(p=model.prefix): env.get_template("model.c.j2").render(**context),
    }


def render_library(model: CModel, example: ExampleVectors) -> dict[str, str]:
    """Every file of the export folder: the library, Makefile, example.c and README.md."""
    env = _environment()
    context = {"m": model, "p": model.prefix, "P": model.macro, "version": __version__, "x": example}
    files = render_sources(model)
    for name, template in (("Makefile", "Makefile.j2"), ("example.c", "example.c.j2"), ("README.md", "README.md.j2")):
        files[name] = env.get_template(template).render(**context)
    return files
