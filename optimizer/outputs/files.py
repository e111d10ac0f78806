"""Writing plans safely: atomic files, whole-folder swaps, no overwrites.

Every file is written to a temporary name and renamed; a plan folder is
built beside its destination and swapped in whole, so an interrupted run
leaves the previous plan intact. The roster folder is never written to.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from optimizer.errors import OutputError


def write_text_atomic(path: Path, text: str | bytes) -> None:
    """Write a file via a temporary file and a rename (never half-written)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        # mkstemp makes the file private (0600); a plan follows the umask.
        os.chmod(tmp, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


PLAN_MARKER = "summary.json"
_UMASK = os.umask(0)
os.umask(_UMASK)


def write_plan_folder(out: Path, files: dict[str, str | bytes],
                      protected: Iterable[Path] = ()) -> None:
    """Write a plan folder as a whole: build it beside, then swap it in.

    An existing ``out`` is replaced only if it is empty or holds a plan
    (a ``summary.json``); a folder that holds the inputs, or lies inside
    a roster folder, is refused.
    """
    out = out.resolve()
    for p in protected:
        p = Path(p).resolve()
        if out == p or out in p.parents or (p.is_file() and p.parent == out):
            raise OutputError(
                f"refusing to write the plan into {out}: it holds the "
                "roster; choose another --out folder")
        if p.is_dir() and p in out.parents:
            raise OutputError(
                f"refusing to write the plan into {out}: it is inside the "
                f"roster folder {p}, which holds only the roster (a plan "
                "there mixes outputs with inputs); choose an --out folder "
                "outside it")
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"--out {out} exists and is not a folder")
        contents = list(out.iterdir())
        if contents and not (out / PLAN_MARKER).exists():
            raise OutputError(
                f"--out {out} holds files that are not a plan; choose an "
                "empty or new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    os.chmod(staging, 0o777 & ~_UMASK)
    try:
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(staging / name, text)
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=out.parent,
                                        prefix=f".{out.name}.old."))
            os.replace(out, old / "plan")
            os.replace(staging, out)
            shutil.rmtree(old)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
