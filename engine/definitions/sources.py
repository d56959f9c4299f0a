"""Definition files on disk or in memory: BPMN, DMN and JSON Schema forms."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable

from ..errors import DefinitionInvalid, Problem

__all__ = ["SourceFile", "load_sources", "bundled_path", "KINDS"]

KINDS = {".bpmn": "bpmn", ".dmn": "dmn", ".json": "form"}


@dataclass(frozen=True)
class SourceFile:
    """One definition file. ``name`` is its path relative to the folder it came from."""

    name: str
    content: bytes

    @property
    def kind(self) -> str:
        return KINDS[Path(self.name).suffix.lower()]

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def folder(self) -> str:
        parent = Path(self.name).parent.as_posix()
        return "" if parent == "." else parent


def bundled_path() -> Path:
    """The folder of definitions shipped with Gongzhi (``gongzhi.bpmn``)."""
    import gongzhi.bpmn

    return Path(gongzhi.bpmn.__file__).parent


def _walk(root: Path) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(p.startswith((".", "__")) or p == "node_modules" for p in parts):
            continue
        if path.is_file() and path.suffix.lower() in KINDS:
            yield path


def load_sources(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Read definition files from folders (recursively) and single files.

    Names are relative to the folder given, so the same files deployed from
    another checkout hash the same. A missing path is reported, not ignored.
    """
    files: dict[str, SourceFile] = {}
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [(p.relative_to(path).as_posix(), p) for p in _walk(path)]
        elif path.is_file() and path.suffix.lower() in KINDS:
            found = [(path.name, path)]
        else:
            problems.append(Problem(str(raw), "路径不存在，或不是 .bpmn/.dmn/.json 文件", code="missing-path"))
            continue
        for name, file in found:
            if name in files and files[name].content != file.read_bytes():
                problems.append(Problem(name, "两个定义目录中有同名但内容不同的文件", code="duplicate-file"))
                continue
            files[name] = SourceFile(name, file.read_bytes())
    if problems:
        raise DefinitionInvalid(problems)
    return list(files.values())
