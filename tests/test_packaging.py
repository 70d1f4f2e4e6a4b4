"""The packaging files are well-formed and say what the platforms require."""

from __future__ import annotations

import ast
import configparser
import plistlib
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"


def test_macos_plist_asks_for_the_microphone():
    info = plistlib.loads((PACKAGING / "macos" / "Info.plist").read_bytes())
    assert info["CFBundleIdentifier"] == "io.github.hearth.Hearth"
    assert len(info["NSMicrophoneUsageDescription"]) > 20  # macOS shows it to the person
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
