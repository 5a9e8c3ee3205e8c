"""Sphinx configuration of the sklearn_ae documentation.

Build (warnings are errors, gallery examples executed), from the repository root::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build is offline: no intersphinx inventories are fetched.
"""

import importlib
import os
import re
import warnings
from pathlib import Path

import matplotlib

# Figures are drawn off-screen, whatever the machine.
matplotlib.use("Agg")

import torch
from sklearn.exceptions import ConvergenceWarning
from sphinx.util import logging

import sklearn_ae

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "gen_modules"  # git-ignored: autosummary stubs and build-time includes
logger = logging.getLogger("sklearn_ae.docs")

# One torch thread: the small networks of the gallery are no slower on one
# core, the figures come out identical on every machine (results are bit for
# bit only at a fixed thread count), and a shared CI runner is not
# oversubscribed. SKLEARN_AE_DOCS_THREADS overrides it.
torch.set_num_threads(int(os.environ.get("SKLEARN_AE_DOCS_THREADS", "1")))

# -- Project -------------------------------------------------------------------
project = "sklearn_ae"
author = "The sklearn_ae developers"
copyright = "The sklearn_ae developers"
release = sklearn_ae.__version__
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "**/README.md", "Thumbs.db", ".DS_Store"]
# The benchmark pages are Markdown written by scripts; their tables and
# headings are theirs to choose.
suppress_warnings = ["myst.header", "myst.xref_missing"]
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc / autosummary / numpydoc ------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Every public class and function must show a runnable example: a missing
# Examples section is a warning, hence a build error under -W.
numpydoc_validation_checks = {"EX01"}
numpydoc_validation_exclude = {
    # Methods are documented with their class; its Examples section covers them.
    r"\.[A-Z]\w*\.\w+$",
    r"\.__init__$",
    # Module constants (documented with autodata) are not callables.
    r"\.[A-Z][A-Z0-9_]+$",
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_ae {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "secondary_sidebar_items": ["page-toc"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
}

# -- sphinx-gallery ------------------------------------------------------------
# The examples train for a fixed, small number of epochs to stay fast; the
# ConvergenceWarning saying so would open every page. Other warnings show.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sklearn_ae",),
    "backreferences_dir": str(GENERATED / "backreferences"),
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "download_all_examples": False,
    # The timings page would land in docs/ itself; the build log shows them.
    "write_computation_times": False,
    "min_reported_time": 5,
    "show_memory": False,
}


# -- Pages assembled at build time -----------------------------------------------
#: The public modules; api.rst must list every name of their ``__all__``.
PUBLIC_MODULES = [
    "sklearn_ae",
    "sklearn_ae.plotting",
    "sklearn_ae.callbacks",
    "sklearn_ae.datasets",
    "sklearn_ae.nn",
    "sklearn_ae.architectures",
    "sklearn_ae.series",
]


def _public_names(module_name):
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and callable(obj)
            and getattr(obj, "__module__", "").startswith(module_name)
        ]
    return sorted(names)


def check_api_reference(app):
    """Warn (an error under -W) about public names missing from api.rst."""
    text = (DOCS / "api.rst").read_text()
    documented = set()
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(".. currentmodule::"):
            current = stripped.split("::", 1)[1].strip()
        elif stripped.startswith(".. autodata::"):
            documented.add(f"{current}.{stripped.split('::', 1)[1].strip()}")
        elif current and re.fullmatch(r"[A-Za-z_]\w*", stripped) and line.startswith("   "):
            documented.add(f"{current}.{stripped}")
    for module_name in PUBLIC_MODULES:
        for name in _public_names(module_name):
            if f"{module_name}.{name}" not in documented:
                logger.warning(
                    "%s.%s is public (in __all__) but missing from docs/api.rst",
                    module_name,
                    name,
                )


def write_benchmark_index():
    """The body of benchmarks.rst, from whatever ``docs/benchmarks/`` holds.

    The benchmark scripts write ``<name>.md`` (the report), ``<name>.csv`` and
    optionally ``<name>.png``/``.svg``. Each report gets a section here with its
    figure and its CSV, and a page of its own.
    """
    folder = DOCS / "benchmarks"
    reports = sorted(
        p for p in folder.glob("*") if p.suffix in (".md", ".rst") and p.stem.lower() != "readme"
    )
    lines = []
    for report in reports:
        title = next(
            (
                line.lstrip("#").strip()
                for line in report.read_text().splitlines()
                if line.startswith("# ")
            ),
            report.stem.replace("_", " ").capitalize(),
        )
        lines += [title, "-" * len(title), ""]
        for suffix in (".svg", ".png"):
            figure = report.with_suffix(suffix)
            if figure.exists():
                lines += [
                    f".. figure:: benchmarks/{figure.name}",
                    "   :width: 100%",
                    f"   :alt: {title}",
                    "",
                ]
                break
        links = [f":doc:`The full report <benchmarks/{report.stem}>`"]
        if report.with_suffix(".csv").exists():
            links.append(f":download:`the data (CSV) <benchmarks/{report.stem}.csv>`")
        lines += [", ".join(links) + ".", ""]
    stems = {report.stem for report in reports}
    extra = sorted(p.name for p in folder.glob("*.csv") if p.stem not in stems)
    if extra:
        lines += ["Further data", "------------", ""]
        lines += [f"* :download:`{name} <benchmarks/{name}>`" for name in extra]
        lines.append("")
    if reports:
        lines += [".. toctree::", "   :hidden:", ""]
        lines += [f"   benchmarks/{report.stem}" for report in reports]
    elif not extra:
        lines = [
            ".. note::",
            "",
            "   No benchmark results have been published yet: run the scripts in",
            "   ``benchmarks/`` (they write their tables and figures to ``docs/benchmarks/``).",
        ]
    GENERATED.mkdir(exist_ok=True)
    target = GENERATED / "benchmarks.inc"
    text = "\n".join(lines) + "\n"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


write_benchmark_index()


# -- Docstring hygiene ------------------------------------------------------------
# A bare ``name_`` is a hyperlink reference in reST. scikit-learn style writes
# fitted attributes such as n_features_in_ in prose and shapes; render them as
# code instead of failing on a missing link target. Runs after numpydoc.
_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")
_TRAILING_UNDERSCORE = re.compile(r"(?<![\w*`|])([A-Za-z]\w*_)(?![\w*`|])")


def escape_trailing_underscores(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        parts = _LITERAL.split(line)
        # Even parts are outside inline literals and roles.
        parts[::2] = [_TRAILING_UNDERSCORE.sub(r"``\1``", part) for part in parts[::2]]
        lines[i] = "".join(parts)


def unlink_scikit_learn_references(app, env, node, contnode):
    """Show scikit-learn's glossary terms and page references as text.

    Docstrings in scikit-learn's style use ``:term:`fit``` (its glossary), and
    the methods inherited from scikit-learn (``set_output``, ...) refer to
    pages of its site; offline, without intersphinx, they cannot resolve.
    """
    source = getattr(node, "source", None) or ""
    reftype = node.get("reftype")
    if reftype == "term" or ("docstring of sklearn." in source and reftype in ("ref", "doc")):
        return contnode
    return None


def setup(app):
    app.connect("builder-inited", check_api_reference)
    app.connect("autodoc-process-docstring", escape_trailing_underscores, priority=600)
    app.connect("missing-reference", unlink_scikit_learn_references)
