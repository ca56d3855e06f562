"""Writing output files without following links, leaving the named folder or clobbering.

Why: ``demo``, ``report`` and ``graph`` are pointed at folders that other people may have
prepared. A planted symlink ``report.md -> ~/.bashrc`` must not redirect a write; a file the
command did not make must not be overwritten without being asked; and a planted list of
"files the last run wrote" must not make a rerun delete the reader's own files.

So inside an output folder every file is created new (``O_CREAT | O_EXCL | O_NOFOLLOW``,
relative to the folder's descriptor, plain names only) and renamed into place when complete. What a run wrote is listed with the
SHA-256 of each file; the next run removes a listed file only if it is a regular file whose
content still has that hash — exactly what loopledger wrote, nothing else — and only under a
name the command itself writes. A single named file
(``graph --out``) is written to a temporary file beside it and renamed over it, which replaces a
regular file the user named but refuses a symlink.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Self

from ledger.model.problems import InputError, Problem

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}|\.loopledger-[a-z-]+")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _refuse(path: Path | str, message: str, option: str = "--out") -> InputError:
    return InputError(Problem(field=option, message=f"{path}: {message}"))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class OutputFolder:
    """A folder opened once (by descriptor) that files are created in, never through links.

    :param path: the folder (created if missing; the folder itself may be a link the user made).
    :param listing: the name of the file listing what a run wrote, with hashes.
    """

    def __init__(self, path: Path, listing: str = ".loopledger-outputs") -> None:
        self.path = path
        self.listing = listing
        try:
            path.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
        except OSError as exc:
            raise _refuse(
                path, f"cannot use it as the output folder: {exc.strerror or exc}"
            ) from None
        self.written: dict[str, str] = {}

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- reading what is there ---------------------------------------------------------------

    def _lstat(self, name: str) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def _read_regular(self, name: str, limit: int = 64 * 1024 * 1024) -> bytes | None:
        """The content of a regular file ``name`` (None: absent, a link, or not regular)."""
        try:
            fd = os.open(
                name,
                os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0),
                dir_fd=self.fd,
            )
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return os.read(fd, limit)
        finally:
            os.close(fd)

    def previous(self) -> dict[str, str]:
        """``{name: sha256}`` of what the last run listed (empty when unlisted or unreadable)."""
        raw = self._read_regular(self.listing, 1024 * 1024)
        found: dict[str, str] = {}
        for line in (raw or b"").decode("utf-8", "replace").splitlines():
            sha, _, name = line.partition("  ")
            if (
                re.fullmatch(r"[0-9a-f]{64}", sha)
                and _NAME.fullmatch(name)
                and name != self.listing
            ):
                found[name] = sha
        return found

    def clear_previous(self, ours: Iterable[str]) -> list[str]:
        """Remove the files the last run wrote and that are still exactly as it wrote them.

        Only names in ``ours`` (what the command writes) are considered: a planted listing can
        at most remove a file that this run would have written anyway.
        """
        removed, allowed = [], set(ours)
        for name, sha in self.previous().items():
            if name not in allowed:
                continue
            data = self._read_regular(name)
            if data is not None and digest(data) == sha:
                os.unlink(name, dir_fd=self.fd)
                removed.append(name)
        if self._lstat(self.listing) is not None:
            os.unlink(self.listing, dir_fd=self.fd)
        return removed

    def check_free(self, names: list[str]) -> None:
        """Refuse before writing anything if a name is not a plain file name or is taken by a
        file loopledger did not make."""
        for name in names:
            if not _NAME.fullmatch(name):
                raise _refuse(
                    self.path / name,
                    "is not a plain file name: use letters, digits, '.', '_' and '-' (a letter "
                    "or digit first, at most 100 characters)",
                )
            info = self._lstat(name)
            if info is None:
                continue
            what = "is a symbolic link" if stat.S_ISLNK(info.st_mode) else "already exists"
            raise _refuse(
                self.path / name,
                f"{what} and was not written by loopledger; loopledger never writes through "
                "links or over files it did not make — move it away, or choose another --out",
            )

    # --- writing -------------------------------------------------------------------------------

    def write(self, name: str, data: bytes | str) -> Path:
        """Create ``name`` in the folder with ``data``; refuse if anything is there already.

        The data goes to a new temporary file that is renamed to ``name`` once complete, so a
        run killed mid-write leaves no half-written file under an output's name (only a
        ``.name.tmp-PID`` beside it), and a rename replaces a link, never writes through it.
        """
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a plain output file name: {name!r}")
        if name != self.listing:
            self.check_free([name])
        self._put(name, data.encode("utf-8") if isinstance(data, str) else data)
        if name != self.listing:
            self.written[name] = digest(data.encode("utf-8") if isinstance(data, str) else data)
            self.write_listing()  # kept current, so even a run that stops half-way is undone
        return self.path / name

    def _put(self, name: str, payload: bytes) -> None:
        temporary = f".{name}.tmp-{os.getpid()}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
        try:
            fd = os.open(temporary, flags, 0o644, dir_fd=self.fd)
        except OSError as exc:
            raise _refuse(self.path / name, f"cannot write it: {exc.strerror or exc}") from None
        try:
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(temporary, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            os.unlink(temporary, dir_fd=self.fd)
            raise

    def write_listing(self) -> None:
        """Record what this run wrote, with hashes, for the next run's :meth:`clear_previous`
        (renamed over the previous listing: there is always one whole listing)."""
        self.write(
            self.listing, "".join(f"{sha}  {name}\n" for name, sha in sorted(self.written.items()))
        )


def replace_file(path: Path, data: bytes, option: str = "--out") -> None:
    """Write ``path`` as a new file renamed over the old: a regular file is replaced, a link
    or anything else that is not a regular file is refused (nothing is written through it)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise _refuse(path, f"is {what}; loopledger does not write through it", option)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _refuse(path, f"cannot create its folder: {exc.strerror or exc}", option) from None
    temporary = folder / f".{path.name}.{os.getpid()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    try:
        fd = os.open(temporary, flags, 0o644)
    except OSError as exc:
        raise _refuse(path, f"cannot write it: {exc.strerror or exc}", option) from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
