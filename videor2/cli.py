"""`videor2` command line: one entry point, subcommands for each capability.

Subcommands import their heavy dependencies lazily so `videor2 --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module with `add_arguments(parser)` and `run(args)`, one-line help)
SUBCOMMANDS = {
    "tasks-path": ("videor2.cli_tasks_path", "print the lmms-eval task folder (for --include_path)"),
    "fixtures": ("videor2.fixtures", "write an offline mirror of all 11 benchmarks with real video files"),
    "tiny-model": ("videor2.models.tiny", "build the tiny random-weight Qwen2.5-VL checkpoint used by demo and tests"),
    "vas": ("videor2.diagnostics.vas_cli", "video attention score of one sample (attention probe)"),
    "tac": ("videor2.diagnostics.tac_cli", "think-answer consistency and judged grounding over saved responses"),
    "diagnose": ("videor2.diagnose", "model -> generation, attention, judge, report (same as scripts/diagnose.py)"),
    "report": ("videor2.reports.compare", "compare several diagnose runs (tables, heatmaps)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videor2",
        description="Diagnostic evaluation of video reasoning models: accuracy, Think-Answer "
        "Consistency (TAC) and Video Attention Score (VAS), on the Video-R2 protocol.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in SUBCOMMANDS:
        if argv and argv[0] not in ("-h", "--help"):
            parser.print_help(sys.stderr)
            print(f"\nvideor2: unknown command {argv[0]!r}", file=sys.stderr)
            return 2
        parser.print_help()
        return 0
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(SUBCOMMANDS[name][0])
    sub = argparse.ArgumentParser(prog=f"videor2 {name}", description=SUBCOMMANDS[name][1])
    module.add_arguments(sub)
    args = sub.parse_args(rest)
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
