"""Diagnostic evaluation harness for video reasoning models, as an lmms-eval plug-in.

Sub-packages mirror the repository's top-level folders:
`videor2.tasks` (the benchmarks: declarations, lmms-eval tasks, scoring; the suite in
`videor2.tasks.registry`), `videor2.models` (adapters, frame sampler), `videor2.diagnostics`
(parsing, TAC, VAS, judges), `videor2.reports` (tables, figures, HTML).
"""

__version__ = "0.1.0"
