"""`videor2 tasks-path`: the task folder, for `lmms-eval --include_path $(videor2 tasks-path)`."""

from videor2.plugin import tasks_path


def add_arguments(parser) -> None:
    parser.epilog = "The plain `lmms-eval --tasks videor2_suite` finds the folder itself; this is the fallback."


def run(args) -> int:
    print(tasks_path())
    return 0
