"""Our AppImage toolchain end to end: the type 2 runtime (packaging/linux/appimage_runtime.c, compiled by
build_runtime.sh from Debian's libraries) and make_appimage.py, on a tiny app that reports what it sees."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
LINUX = REPO / "packaging" / "linux"
DESKTOP = LINUX / "io.github.hearth.Hearth.desktop"
METAINFO = LINUX / "io.github.hearth.Hearth.metainfo.xml"
ICON = REPO / "assets" / "icon.png"
GLIBC = ("libc.so.", "ld-linux", "libpthread.so.", "libdl.so.", "libm.so.")

# What build_runtime.sh and make_appimage.py need, and the Debian package that provides it.
BUILD_NEEDS = {
    "/usr/include/squashfuse/ll.h": "libsquashfuse-dev",
    "libsquashfuse_ll.a": "libsquashfuse-dev",
    "libfuse3.a": "libfuse3-dev",
    "libzstd.a": "libzstd-dev",
    "liblz4.a": "liblz4-dev",
    "liblzo2.a": "liblzo2-dev",
    "liblzma.a": "liblzma-dev",
    "libz.a": "zlib1g-dev",
}

# The app inside the AppImage: prints its arguments, the AppImage variables, its working folder, a file
# from its own folder and the file system type of $APPDIR; exits 3. MYAPP_WAIT_FOR_TERM=1: waits for SIGTERM.
MYAPP = r"""#!/bin/sh
here=$(dirname "$(readlink -f "$0")")
if [ "${MYAPP_WAIT_FOR_TERM:-}" = 1 ]; then
    trap 'echo got-sigterm; exit 42' TERM
    echo waiting
    while :; do sleep 0.05; done
fi
for arg in "$@"; do printf 'arg=%s\n' "$arg"; done
printf 'APPIMAGE=%s\nAPPDIR=%s\nARGV0=%s\nOWD=%s\npwd=%s\n' "$APPIMAGE" "$APPDIR" "$ARGV0" "$OWD" "$(pwd)"
printf 'data=%s\n' "$(cat "$here/sub/data.txt")"
while read -r device mountpoint fstype rest; do
    if [ "$mountpoint" = "$APPDIR" ]; then printf 'fstype=%s\n' "$fstype"; fi
done < /proc/self/mounts
exit 3
"""
ARGS = ["two words", "", 'quote\'s "here"', "--appimage-extract", "ünï cödé", "*"]


def _multiarch_libdir() -> Path:
    done = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True, check=True)
    return Path("/usr/lib") / done.stdout.strip()


def _load_make_appimage() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_appimage", LINUX / "make_appimage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_appimage = _load_make_appimage()


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime, compiled once per session; fails (not skips) naming the Debian packages to install."""
    if shutil.which("gcc") is None:
        pytest.fail("gcc is not installed (apt-get install gcc libc6-dev)")
    libdir = _multiarch_libdir()
    missing = sorted(
        {
            package
            for path, package in BUILD_NEEDS.items()
            if not (Path(path) if path.startswith("/") else libdir / path).exists()
        }
    )
    if shutil.which("mksquashfs") is None or shutil.which("unsquashfs") is None:
        missing.append("squashfs-tools")
    if missing:
        pytest.fail(f"the AppImage build needs these Debian packages: apt-get install {' '.join(missing)}")
    out = tmp_path_factory.mktemp("runtime") / "runtime"
    done = subprocess.run(
        ["bash", str(LINUX / "build_runtime.sh"), str(out)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"build_runtime.sh failed:\n{done.stdout}\n{done.stderr}"
    return out


@pytest.fixture(scope="session")
def app_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The program folder (what PyInstaller's dist/Hearth would be): an executable, data, a symlink."""
    source = tmp_path_factory.mktemp("dist") / "Hearth"
    (source / "sub").mkdir(parents=True)
    (source / "myapp").write_text(MYAPP)
    (source / "myapp").chmod(0o755)
    (source / "sub" / "data.txt").write_text("hello from the AppImage\n")
    (source / "sub" / "helper.sh").write_text("#!/bin/sh\necho helper\n")
    (source / "sub" / "helper.sh").chmod(0o755)
    (source / "sub" / "big.bin").write_bytes(os.urandom(300_000))  # several squashfs blocks
    (source / "data-link.txt").symlink_to("sub/data.txt")
    return source


@pytest.fixture(scope="session")
def appimage(runtime: Path, app_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("out") / "Hearth-x86_64.AppImage"
    built = make_appimage.build_appimage(
        app_source, runtime=runtime, desktop=DESKTOP, icon=ICON, metainfo=METAINFO, executable="myapp", output=output
    )
    assert built == output
    return output


@pytest.fixture
def tmpdir_env(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A private TMPDIR for the runtime (mount points, extracted folders) that must be empty afterwards."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"APPIMAGE_EXTRACT_AND_RUN", "NO_CLEANUP", "APPDIR"}}
    env["TMPDIR"] = str(folder)
    yield folder, env
    assert not _mounts_under(folder), "a mount was left behind"


def _mounts_under(folder: Path) -> list[str]:
    with open("/proc/self/mounts") as mounts:
        return [line for line in mounts if line.split()[1].startswith(str(folder))]


def _fuse_usable() -> str | None:
    """Why FUSE cannot be used here, or None."""
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse does not exist (a container without FUSE)"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "/dev/fuse is not readable and writable by this user"
    return None


def _run(
    image: Path, *args: str, env: dict[str, str], cwd: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], list[str]]:
    done = subprocess.run(
        [str(image), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False
    )
    report, seen_args = {}, []
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        if key == "arg":
            seen_args.append(value)
        else:
            report[key] = value
    return done, report, seen_args


def test_runtime_is_an_elf_with_the_appimage_magic_that_needs_only_glibc(runtime: Path):
    """The spec's magic 'AI\\x02' at offset 8, and every non-glibc library (squashfuse, libfuse3, zstd, ...) static."""
    header = runtime.read_bytes()[:11]
    assert header[:4] == b"\x7fELF" and header[8:11] == b"AI\x02"
    dynamic = subprocess.run(["readelf", "-d", str(runtime)], capture_output=True, text=True, check=True).stdout
    needed = [line.split("[")[1].rstrip("]") for line in dynamic.splitlines() if "(NEEDED)" in line]
    assert needed and all(name.startswith(GLIBC) for name in needed), needed


def test_offset_option_prints_where_the_squashfs_starts_which_is_the_runtime_size(
    appimage: Path, runtime: Path, tmpdir_env
):
    _, env = tmpdir_env
    done = subprocess.run([str(appimage), "--appimage-offset"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0 and done.stderr == ""
    assert int(done.stdout) == runtime.stat().st_size
    assert appimage.read_bytes()[int(done.stdout) :][:4] == b"hsqs"  # the squashfs magic


def test_unsquashfs_reads_the_image_at_that_offset(appimage: Path, runtime: Path):
    """Standard tools interoperate: unsquashfs -o OFFSET lists the AppDir."""
    offset = str(runtime.stat().st_size)
    listing = subprocess.run(
        ["unsquashfs", "-o", offset, "-l", str(appimage)], capture_output=True, text=True, check=True
    )
    names = set(listing.stdout.split())
    for name in (
        "AppRun",
        ".DirIcon",
        "io.github.hearth.Hearth.desktop",
        "io.github.hearth.Hearth.png",
        "usr/lib/hearth/myapp",
    ):
        assert f"squashfs-root/{name}" in names, name


def test_runs_the_app_from_a_fuse_mount_and_unmounts_after(appimage: Path, tmpdir_env, tmp_path: Path):
    """Default mode: $APPDIR is a FUSE mount at $TMPDIR/.mount_<name>XXXXXX; arguments pass through unchanged,
    the app's exit status (3) is the AppImage's, and the mount and its folder are gone afterwards."""
    reason = _fuse_usable()
    if reason:
        pytest.skip(reason)
    folder, env = tmpdir_env
    done, report, seen_args = _run(appimage, *ARGS, env=env, cwd=tmp_path)
    if "cannot use FUSE" in done.stderr:
        pytest.skip(f"FUSE mounting is not permitted here: {done.stderr.strip()}")
    assert done.returncode == 3, done.stderr
    assert done.stderr == ""
    assert seen_args == ARGS
    assert report["APPDIR"].startswith(f"{folder}/.mount_Hearth")
    assert report["fstype"].startswith("fuse")  # really mounted, not extracted
    assert report["APPIMAGE"] == str(appimage) and report["ARGV0"] == str(appimage)
    assert report["OWD"] == str(tmp_path) == report["pwd"]
    assert report["data"] == "hello from the AppImage"
    assert not _mounts_under(folder) and not Path(report["APPDIR"]).exists()
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("how", ["environment", "option"])
def test_extract_and_run_runs_the_app_from_an_extracted_copy_and_removes_it(
    appimage: Path, tmpdir_env, tmp_path: Path, how: str
):
    """APPIMAGE_EXTRACT_AND_RUN=1 or --appimage-extract-and-run (which the app does not see): no FUSE needed."""
    folder, env = tmpdir_env
    args = ARGS
    if how == "environment":
        env["APPIMAGE_EXTRACT_AND_RUN"] = "1"
    else:
        args = ["--appimage-extract-and-run", *ARGS]
    done, report, seen_args = _run(appimage, *args, env=env, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stderr == ""
    assert seen_args == ARGS
    assert report["APPDIR"].startswith(f"{folder}/appimage_extracted_")
    assert "fstype" not in report  # a plain folder, not a mount point
    assert report["APPIMAGE"] == str(appimage) and report["OWD"] == str(tmp_path)
    assert report["data"] == "hello from the AppImage"
    assert list(folder.iterdir()) == []  # cleaned up


def test_extract_and_run_keeps_the_folder_with_no_cleanup(appimage: Path, tmpdir_env, tmp_path: Path):
    """NO_CLEANUP=1 keeps $TMPDIR/appimage_extracted_<key>, and the next run with the same image reuses it."""
    folder, env = tmpdir_env
    env.update(APPIMAGE_EXTRACT_AND_RUN="1", NO_CLEANUP="1")
    first = _run(appimage, env=env, cwd=tmp_path)[1]["APPDIR"]
    second = _run(appimage, env=env, cwd=tmp_path)[1]["APPDIR"]
    assert first == second and [p.name for p in folder.iterdir()] == [Path(first).name]
    assert (Path(first) / "usr/lib/hearth/sub/data.txt").read_text() == "hello from the AppImage\n"


def test_falls_back_to_extracting_when_the_fuse_mount_fails(appimage: Path, tmpdir_env, tmp_path: Path):
    """As in a container: with /dev/null in place of /dev/fuse the mount fails, the runtime says so in one line
    and extracts and runs instead."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to hide /dev/fuse in a private mount namespace")
    hide = "mount --bind /dev/null /dev/fuse"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", hide], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a private mount namespace here: {probe.stderr.strip()}")
    folder, env = tmpdir_env
    done, report, seen_args = _run(
        Path("unshare"), "-m", "sh", "-c", f'{hide} && exec "$0" "$@"', str(appimage), *ARGS, env=env, cwd=tmp_path
    )
    assert done.returncode == 3, done.stderr
    assert seen_args == ARGS and report["APPDIR"].startswith(f"{folder}/appimage_extracted_")
    assert len(done.stderr.splitlines()) == 1 and "falling back to extracting" in done.stderr
    assert list(folder.iterdir()) == []


def _tree(root: Path) -> dict[str, tuple[str, object]]:
    """path -> (kind, contents or link target), plus whether files are executable."""
    tree: dict[str, tuple[str, object]] = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            tree[name] = ("link", os.readlink(path))
        elif path.is_dir():
            tree[name] = ("dir", None)
        else:
            tree[name] = ("exec" if path.stat().st_mode & stat.S_IXUSR else "file", path.read_bytes())
    return tree


def test_extract_option_recreates_the_appdir_in_squashfs_root(
    appimage: Path, app_source: Path, tmp_path: Path, tmpdir_env
):
    """--appimage-extract: contents, executable bits and symlinks as in the program folder, plus AppRun, the
    desktop entry, the icon (also as .DirIcon) and the metainfo at their AppImage places."""
    _, env = tmpdir_env
    done = subprocess.run(
        [str(appimage), "--appimage-extract"], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    root = tmp_path / "squashfs-root"
    assert _tree(root / "usr/lib/hearth") == _tree(app_source)
    assert os.access(root / "AppRun", os.X_OK) and (root / "AppRun").read_text().startswith("#!/bin/sh\n")
    assert (root / "io.github.hearth.Hearth.desktop").read_bytes() == DESKTOP.read_bytes()
    assert (root / "io.github.hearth.Hearth.png").read_bytes() == ICON.read_bytes() == (root / ".DirIcon").read_bytes()
    assert (root / "usr/share/metainfo/io.github.hearth.Hearth.metainfo.xml").read_bytes() == METAINFO.read_bytes()
    # The extracted AppDir runs by itself too: AppRun finds its folder when APPDIR is not set.
    env = {k: v for k, v in env.items() if k != "APPDIR"}
    ran = subprocess.run([str(root / "AppRun"), "x y"], capture_output=True, text=True, env=env, check=False)
    assert ran.returncode == 3 and "arg=x y\n" in ran.stdout and "data=hello from the AppImage\n" in ran.stdout


def test_extract_option_with_a_pattern_extracts_only_the_matching_paths(appimage: Path, tmp_path: Path, tmpdir_env):
    _, env = tmpdir_env
    done = subprocess.run(
        [str(appimage), "--appimage-extract", "usr/lib/hearth/sub"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    files = {
        str(p.relative_to(tmp_path / "squashfs-root")) for p in (tmp_path / "squashfs-root").rglob("*") if p.is_file()
    }
    assert files == {"usr/lib/hearth/sub/data.txt", "usr/lib/hearth/sub/helper.sh", "usr/lib/hearth/sub/big.bin"}


def test_unknown_appimage_option_fails_with_one_line(appimage: Path, tmpdir_env, tmp_path: Path):
    _, env = tmpdir_env
    done = subprocess.run(
        [str(appimage), "--appimage-foo"], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "--appimage-foo" in done.stderr


def test_help_and_version_options(appimage: Path, tmpdir_env):
    _, env = tmpdir_env
    helped = subprocess.run([str(appimage), "--appimage-help"], capture_output=True, text=True, env=env, check=True)
    for option in ("--appimage-extract", "--appimage-extract-and-run", "--appimage-mount", "--appimage-offset"):
        assert option in helped.stdout
    version = subprocess.run([str(appimage), "--appimage-version"], capture_output=True, text=True, env=env, check=True)
    assert "runtime" in version.stdout and len(version.stdout.splitlines()) == 1


def test_mount_option_prints_the_mount_point_and_unmounts_on_sigterm(appimage: Path, tmpdir_env):
    reason = _fuse_usable()
    if reason:
        pytest.skip(reason)
    folder, env = tmpdir_env
    with subprocess.Popen(
        [str(appimage), "--appimage-mount"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        mountpoint = Path(proc.stdout.readline().strip())
        if not mountpoint.name:
            proc.wait(timeout=30)
            pytest.skip(f"FUSE mounting is not permitted here: {proc.stderr.read().strip()}")
        assert mountpoint.parent == folder and mountpoint.name.startswith(".mount_Hearth")
        assert (mountpoint / "usr/lib/hearth/sub/data.txt").read_text() == "hello from the AppImage\n"
        assert _mounts_under(folder)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert not _mounts_under(folder) and not mountpoint.exists()


@pytest.mark.parametrize("mode", ["fuse", "extract"])
def test_sigterm_to_the_appimage_reaches_the_app(appimage: Path, tmpdir_env, tmp_path: Path, mode: str):
    """SIGTERM sent to the runtime is forwarded to AppRun; its exit status comes back and nothing is left."""
    if mode == "fuse" and _fuse_usable():
        pytest.skip(str(_fuse_usable()))
    folder, env = tmpdir_env
    env["MYAPP_WAIT_FOR_TERM"] = "1"
    if mode == "extract":
        env["APPIMAGE_EXTRACT_AND_RUN"] = "1"
    with subprocess.Popen(
        [str(appimage)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "waiting\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 42
        assert proc.stdout.read() == "got-sigterm\n"
    assert list(folder.iterdir()) == []


def test_make_appimage_refuses_a_runtime_without_the_magic(app_source: Path, tmp_path: Path):
    fake_runtime = tmp_path / "runtime"
    fake_runtime.write_bytes(b"\x7fELF" + bytes(60))
    done = _make_appimage_cli(app_source, fake_runtime, "myapp", tmp_path / "out.AppImage")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "runtime" in done.stderr
    assert not (tmp_path / "out.AppImage").exists()


def test_make_appimage_refuses_a_folder_without_the_executable(app_source: Path, runtime: Path, tmp_path: Path):
    done = _make_appimage_cli(app_source, runtime, "hearth-missing", tmp_path / "out.AppImage")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "hearth-missing" in done.stderr
    done = _make_appimage_cli(app_source, runtime, "sub/data.txt", tmp_path / "out.AppImage")  # not executable
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "out.AppImage").exists()


def _make_appimage_cli(dist: Path, runtime: Path, executable: str, output: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(LINUX / "make_appimage.py"), str(dist), "--runtime", str(runtime)]
    command += ["--desktop", str(DESKTOP), "--icon", str(ICON), "--exec", executable, "-o", str(output)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_make_appimage_falls_back_to_gzip_when_mksquashfs_refuses_zstd(
    runtime: Path, app_source: Path, tmp_path: Path, tmpdir_env
):
    """An older squashfs-tools without zstd still gives a working AppImage (gzip, squashfs compression id 1)."""
    fake = tmp_path / "mksquashfs"
    real = shutil.which("mksquashfs")
    fake.write_text(
        f'#!/bin/sh\ncase " $* " in *" zstd "*) echo "mksquashfs: Compressor \\"zstd\\" is not supported" >&2; exit 1;; esac\n'
        f'exec {real} "$@"\n'
    )
    fake.chmod(0o755)
    output = make_appimage.build_appimage(
        app_source,
        runtime=runtime,
        desktop=DESKTOP,
        icon=ICON,
        executable="myapp",
        output=tmp_path / "gzip.AppImage",
        mksquashfs=str(fake),
    )
    superblock = output.read_bytes()[runtime.stat().st_size :][:24]
    assert superblock[:4] == b"hsqs" and int.from_bytes(superblock[20:22], "little") == 1  # ZLIB_COMPRESSION
    _, env = tmpdir_env
    env["APPIMAGE_EXTRACT_AND_RUN"] = "1"
    done, report, seen_args = _run(output, "x", env=env, cwd=tmp_path)
    assert done.returncode == 3 and seen_args == ["x"] and report["data"] == "hello from the AppImage"
