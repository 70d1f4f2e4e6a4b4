"""Build an AppImage (type 2) from a folder, with our own runtime instead of appimagetool.

    python packaging/linux/make_appimage.py dist/Hearth --runtime build/runtime \\
        --desktop packaging/linux/io.github.hearth.Hearth.desktop --icon assets/icon.png \\
        --metainfo packaging/linux/io.github.hearth.Hearth.metainfo.xml --exec Hearth -o Hearth-x86_64.AppImage

appimagetool and its runtime are only distributed from GitHub, which our build machines cannot reach;
`build_runtime.sh` builds the runtime from Debian's packages and this script does the rest of appimagetool's
job. The AppDir it squashes:

    AppRun                         POSIX sh: exec "$APPDIR/usr/lib/hearth/<exec>" "$@"
    <name>.desktop                 the desktop entry (also in usr/share/applications/)
    <Icon>.png, .DirIcon           the icon, named after the entry's Icon= key (also in usr/share/icons/hicolor/)
    usr/lib/hearth/                DIST_FOLDER (PyInstaller's one-folder output: the executable beside _internal/)
    usr/share/metainfo/<file>      the AppStream metadata, if given

DIST_FOLDER goes to usr/lib/hearth/ rather than usr/bin/ because it is a whole program folder, not a set of
commands. File modes are made readable by everyone (the squashfs is root-owned), keeping executable bits.
The AppImage is the runtime's bytes followed by `mksquashfs AppDir -root-owned -noappend -comp zstd` (gzip if
this mksquashfs refuses zstd). Needs squashfs-tools (Debian).
"""

from __future__ import annotations

import argparse
import configparser
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

APPIMAGE_MAGIC = b"AI\x02"  # at file offset 8, in the ELF identification padding (AppImage type 2)
PROGRAM_FOLDER = "usr/lib/hearth"


class AppImageError(Exception):
    """What is wrong with the inputs or the build, in one line."""


def _check_runtime(runtime: Path) -> bytes:
    try:
        data = runtime.read_bytes()
    except OSError as error:
        raise AppImageError(f"cannot read the runtime {runtime}: {error.strerror}") from error
    if data[:4] != b"\x7fELF" or data[8:11] != APPIMAGE_MAGIC:
        raise AppImageError(f"{runtime} is not an AppImage type 2 runtime (no 'AI\\x02' at offset 8)")
    return data


def _icon_name(desktop: Path) -> str:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    try:
        entry.read_string(desktop.read_text(encoding="utf-8"), source=str(desktop))
        name = entry["Desktop Entry"]["Icon"].strip()
    except (OSError, KeyError, configparser.Error) as error:
        raise AppImageError(f"{desktop} is not a desktop entry with an Icon= key ({error})") from error
    if not name or "/" in name:
        raise AppImageError(f"{desktop}: Icon= must be a plain icon name, not {name!r}")
    return name


def _png_size(icon: Path) -> tuple[int, int]:
    header = icon.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        raise AppImageError(f"{icon} is not a PNG image")
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def _apprun(executable: str) -> str:
    return (
        "#!/bin/sh\n"
        "# Written by packaging/linux/make_appimage.py: starts the app inside the AppImage.\n"
        'if [ -z "${APPDIR:-}" ]; then\n'
        '    APPDIR="$(dirname -- "$(readlink -f -- "$0")")"\n'
        "    export APPDIR\n"
        "fi\n"
        f'exec "$APPDIR"/{PROGRAM_FOLDER}/{shlex.quote(executable)} "$@"\n'
    )


def _link_or_copy(source: str, target: str) -> None:
    """A hard link where the AppDir and DIST_FOLDER share a file system (no second copy of
    a gigabyte of program and models), a copy where they do not. `_readable_by_all` only
    widens modes, so what it does through a link changes nothing that matters in DIST_FOLDER."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _readable_by_all(root: Path) -> None:
    """Everyone may read (and enter, and run what was executable): the squashfs is owned by root."""
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode):
                path.chmod(stat.S_IMODE(mode) | 0o755)
            elif stat.S_ISREG(mode):
                path.chmod(stat.S_IMODE(mode) | 0o644 | (0o111 if mode & stat.S_IXUSR else 0))


def _make_appdir(appdir: Path, dist: Path, desktop: Path, icon: Path, metainfo: Path | None, executable: str) -> None:
    icon_name = _icon_name(desktop)
    width, height = _png_size(icon)
    program = appdir / PROGRAM_FOLDER
    shutil.copytree(dist, program, symlinks=True, copy_function=_link_or_copy)
    (appdir / "AppRun").write_text(_apprun(executable), encoding="utf-8")
    (appdir / "AppRun").chmod(0o755)
    for folder in (appdir, appdir / "usr/share/applications"):
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(desktop, folder / desktop.name)
    shutil.copyfile(icon, appdir / f"{icon_name}.png")
    shutil.copyfile(icon, appdir / ".DirIcon")
    if width == height:
        themed = appdir / f"usr/share/icons/hicolor/{width}x{height}/apps"
        themed.mkdir(parents=True)
        shutil.copyfile(icon, themed / f"{icon_name}.png")
    if metainfo is not None:
        (appdir / "usr/share/metainfo").mkdir(parents=True)
        shutil.copyfile(metainfo, appdir / "usr/share/metainfo" / metainfo.name)
    appdir.chmod(0o755)
    _readable_by_all(appdir)


def _squash(appdir: Path, image: Path, mksquashfs: str) -> None:
    if shutil.which(mksquashfs) is None:
        raise AppImageError(f"{mksquashfs} not found (apt-get install squashfs-tools)")
    failure = ""
    for compression in ("zstd", "gzip"):
        command = [mksquashfs, str(appdir), str(image), "-root-owned", "-noappend", "-comp", compression]
        done = subprocess.run([*command, "-no-progress"], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return
        failure = (done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}").splitlines()[-1]
    raise AppImageError(f"mksquashfs failed: {failure}")


def build_appimage(
    dist: Path,
    *,
    runtime: Path,
    desktop: Path,
    icon: Path,
    executable: str,
    output: Path,
    metainfo: Path | None = None,
    mksquashfs: str = "mksquashfs",
) -> Path:
    """Build output (an AppImage running dist/executable) and return its path; AppImageError says what is wrong."""
    dist, output = Path(dist), Path(output)
    runtime_bytes = _check_runtime(Path(runtime))
    target = dist / executable
    if not dist.is_dir():
        raise AppImageError(f"{dist} is not a folder")
    if Path(executable).is_absolute() or ".." in Path(executable).parts:
        raise AppImageError(f"--exec must be a path inside {dist}, not {executable}")
    if not target.is_file() or not os.access(target, os.X_OK):
        raise AppImageError(f"{dist} has no executable {executable}")
    for path in (desktop, icon, *([metainfo] if metainfo else [])):
        if not Path(path).is_file():
            raise AppImageError(f"{path} does not exist")
    if not output.parent.is_dir():
        raise AppImageError(f"the output folder {output.parent} does not exist")
    with tempfile.TemporaryDirectory(prefix="make_appimage.") as work:
        appdir, image = Path(work, "AppDir"), Path(work, "squashfs.img")
        appdir.mkdir()
        _make_appdir(appdir, dist, Path(desktop), Path(icon), Path(metainfo) if metainfo else None, executable)
        _squash(appdir, image, mksquashfs)
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("wb") as out, image.open("rb") as squashfs:
                out.write(runtime_bytes)
                shutil.copyfileobj(squashfs, out, 1 << 20)
            partial.chmod(0o755)
            partial.replace(output)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise AppImageError(f"cannot write {output}: {error.strerror}") from error
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build an AppImage (type 2) from a program folder.")
    parser.add_argument("dist", type=Path, help="the program folder, e.g. PyInstaller's dist/Hearth")
    parser.add_argument("--runtime", type=Path, required=True, help="the runtime built by build_runtime.sh")
    parser.add_argument("--desktop", type=Path, required=True, help="the .desktop file")
    parser.add_argument("--icon", type=Path, required=True, help="the icon, a PNG")
    parser.add_argument("--metainfo", type=Path, help="the AppStream metainfo XML")
    parser.add_argument("--exec", dest="executable", required=True, help="the executable, relative to dist")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the AppImage to write")
    args = parser.parse_args(argv)
    try:
        output = build_appimage(
            args.dist,
            runtime=args.runtime,
            desktop=args.desktop,
            icon=args.icon,
            executable=args.executable,
            output=args.output,
            metainfo=args.metainfo,
        )
    except AppImageError as error:
        print(f"make_appimage: error: {error}", file=sys.stderr)
        return 2
    print(f"built {output} ({output.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
