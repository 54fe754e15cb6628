"""Where a checkpoint comes from, checked before any work: a local folder, or a hub id that is
reachable or already in the hub cache. One-line errors that name the fix."""

from __future__ import annotations

import re
from pathlib import Path

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class CheckpointError(ValueError):
    """The checkpoint is neither a folder nor reachable (or cached) on the hub."""


def check_checkpoint(pretrained: str) -> str:
    """Return `pretrained` when it can be loaded; raise CheckpointError otherwise.

    A folder must hold config.json. Anything else must look like a hub id (`org/name`) whose
    config.json can be fetched, or read from the hub cache when offline.
    """
    path = Path(pretrained).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise CheckpointError(f"checkpoint folder {path} has no config.json: pass the folder that "
                                  f"`save_pretrained` wrote (or a hub id such as MBZUAI/Video-R2)")
        return pretrained
    if not HUB_ID.match(pretrained) or path.exists():
        raise CheckpointError(f"checkpoint folder not found: {pretrained}: pass an existing folder with "
                              f"config.json, or a hub id such as MBZUAI/Video-R2")
    from huggingface_hub import hf_hub_download

    try:
        hf_hub_download(pretrained, "config.json")
    except Exception as exc:  # offline, unknown repo, gated, bad network: all end the same way
        reason = (str(exc).strip().splitlines() or [""])[0].split(". ")[0]
        raise CheckpointError(
            f"checkpoint {pretrained} is neither a local folder nor reachable or cached on the hub "
            f"({type(exc).__name__}{': ' + reason[:200] if reason else ''}); download it where there is network "
            f"(`huggingface-cli download {pretrained}`, then it is cached) or pass a local folder") from None
    return pretrained
