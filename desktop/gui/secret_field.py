"""A key in a settings field: dots until its eye button is pressed."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

from desktop.gui.icons import IconButton

__all__ = ["reveal_button"]


def reveal_button(line: QLineEdit, parent: QWidget) -> IconButton:
    """Keys stay hidden (someone may see the screen) until the eye is pressed (Tab
    reaches it; Space toggles)."""
    line.setEchoMode(QLineEdit.EchoMode.Password)
    button = IconButton("eye", "Show the key", parent)
    button.setCheckable(True)

    def toggle(shown: bool) -> None:
        line.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        button.set_icon_name("eye-slash" if shown else "eye")
        button.setToolTip("Hide the key" if shown else "Show the key")
        button.setAccessibleName(button.toolTip())

    button.toggled.connect(toggle)
    return button
