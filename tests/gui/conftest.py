"""Fixtures the window's tests share: the real theme, and the real app set to be heard."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from desktop.app import HearthApp
from desktop.core.paths import HearthPaths
from desktop.core.settings import load_settings, save_settings
from desktop.gui.theme import Theme


@pytest.fixture
def theme(qapp) -> Iterator[Theme]:
    """The real theme, light first; the application's look is put back afterwards."""
    saved = (qapp.styleSheet(), qapp.palette(), qapp.font(), qapp.property("hearthScheme"))
    theme = Theme(qapp)
    theme.force("light")
    yield theme
    style_sheet, palette, font, scheme = saved
    qapp.setProperty("hearthScheme", scheme)
    qapp.setStyleSheet(style_sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)
    theme.deleteLater()


@pytest.fixture
def audible_hearth(qtbot, cli_home, speaker_sink, monkeypatch) -> Iterator[Callable[..., HearthApp]]:
    """audible_hearth(**settings): the real app with the starter models and these
    settings, its sound going to the session's null sink; shut down afterwards."""
    made: list[HearthApp] = []
    monkeypatch.setenv("PULSE_SINK", speaker_sink.name)

    def make(**changes) -> HearthApp:
        paths = HearthPaths.from_environment().ensure()
        settings = load_settings(paths.settings_file).updated(temperature=0.0, **changes)
        save_settings(paths.settings_file, settings)
        app = HearthApp(paths, settings)
        made.append(app)
        qtbot.addWidget(app.window)
        app.window.show()
        qtbot.waitUntil(lambda: "ctx" in app.window.model_label.text(), timeout=60_000)
        return app

    yield make
    for app in made:
        app.shutdown()
