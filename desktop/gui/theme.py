"""The one place the window's look is decided: colours, type, spacing and the stylesheet.

Widgets never set colours or fonts themselves; they set an `objectName` (or a dynamic
property such as `role`) and the stylesheet here styles them. Light and dark follow
the system's colour scheme and switch live: `Theme` re-applies the palette and the
stylesheet when the scheme changes, and every widget gets a PaletteChange event
(icon buttons and rendered answers redraw themselves on it).

Signals (Theme):
    changed(Palette): the scheme switched; the new palette is applied already.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

__all__ = ["DARK", "LIGHT", "Palette", "Theme", "current_palette", "is_dark"]

BODY_PX = 15  # message text; UI.md: 14-15 px, Qt's default 9 pt is too small to read
SMALL_PX = 13  # secondary text (stats, snippets, captions)
COLUMN_PX = 760  # the reading column's widest width


@dataclass(frozen=True)
class Palette:
    dark: bool
    page: str  # chat background
    sidebar: str
    surface: str  # raised boxes: composer, menus, popups
    text: str
    muted: str  # secondary text and idle icons
    border: str
    accent: str  # send button, focus ring, selection
    accent_text: str  # text on the accent colour
    user_bubble: str
    code_bg: str
    code_header: str
    inline_code: str
    hover: str  # rows and buttons under the pointer
    raised_hover: str  # the same on a raised surface: the menus' chosen item (dark `hover` vanishes there)
    selected: str  # the open conversation
    danger: str


LIGHT = Palette(
    dark=False, page="#ffffff", sidebar="#f4f4f5", surface="#ffffff", text="#1f2328", muted="#6b7280",
    border="#d9dbe0", accent="#2563eb", accent_text="#ffffff", user_bubble="#eef2f8", code_bg="#f6f8fa",
    code_header="#eaedf1", inline_code="#eff1f3", hover="#e7e8eb", raised_hover="#e7e8eb", selected="#dde3ee",
    danger="#c62828",
)
DARK = Palette(
    dark=True, page="#1e1f22", sidebar="#17181a", surface="#2a2b2f", text="#e6e6e6", muted="#9aa0a6",
    border="#3a3c41", accent="#5b8def", accent_text="#ffffff", user_bubble="#2f3136", code_bg="#16171a",
    code_header="#26282c", inline_code="#2c2e33", hover="#2a2c30", raised_hover="#41444c", selected="#30343c",
    danger="#ef5350",
)


def is_dark() -> bool:
    """The system's colour scheme when Qt knows it, else the palette's lightness."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    forced = app.property("hearthScheme")  # set by Theme.force() (tests, screenshots)
    if forced in ("dark", "light"):
        return forced == "dark"
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def current_palette() -> Palette:
    return DARK if is_dark() else LIGHT


class Theme(QObject):
    """Applies the palette, the font and the stylesheet to the application; live."""

    changed = Signal(object)

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: self.apply())

    def force(self, scheme: str | None) -> None:
        """Pin "dark" or "light" regardless of the system (anything else follows it again)."""
        self._app.setProperty("hearthScheme", scheme if scheme in ("dark", "light") else None)
        self.apply()

    def apply(self) -> Palette:
        palette = current_palette()
        self._app.setStyle("Fusion")  # the same widgets on every platform; styled below
        self._app.setPalette(_qpalette(palette))
        font = QFont(self._app.font())
        font.setPixelSize(14)
        self._app.setFont(font)
        self._app.setStyleSheet(stylesheet(palette))
        self.changed.emit(palette)
        return palette


def _qpalette(p: Palette) -> QPalette:
    q = QPalette()
    roles = {
        QPalette.ColorRole.Window: p.sidebar, QPalette.ColorRole.WindowText: p.text,
        QPalette.ColorRole.Base: p.page, QPalette.ColorRole.AlternateBase: p.sidebar,
        QPalette.ColorRole.Text: p.text, QPalette.ColorRole.Button: p.surface,
        QPalette.ColorRole.ButtonText: p.text, QPalette.ColorRole.Highlight: p.accent,
        QPalette.ColorRole.HighlightedText: p.accent_text, QPalette.ColorRole.ToolTipBase: p.surface,
        QPalette.ColorRole.ToolTipText: p.text, QPalette.ColorRole.PlaceholderText: p.muted,
        QPalette.ColorRole.Link: p.accent, QPalette.ColorRole.Mid: p.border,
    }
    for role, colour in roles.items():
        q.setColor(role, QColor(colour))
    q.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(p.muted))
    q.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(p.muted))
    q.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(p.muted))
    return q


def stylesheet(p: Palette) -> str:
    return "\n".join((_base(p), _chat(p), _composer(p), _sidebar(p), _code(p), _dialogs(p)))


# Each area's rules live in its own function below; edit only your area's function.


def _base(p: Palette) -> str:
    return f"""
QWidget {{ color: {p.text}; }}
QToolTip {{ background: {p.surface}; color: {p.text}; border: 1px solid {p.border}; padding: 4px 6px; }}
QPushButton {{ background: {p.surface}; border: 1px solid {p.border}; border-radius: 8px; padding: 6px 12px; }}
QPushButton:hover {{ background: {p.raised_hover}; }}
QPushButton:focus, QToolButton:focus, QComboBox:focus, QLineEdit:focus, QCheckBox:focus,
QSpinBox:focus, QDoubleSpinBox:focus, QKeySequenceEdit:focus, QListView:focus, QTreeView:focus {{
    outline: none; border: 2px solid {p.accent};
}}
QPushButton[primary="true"] {{ background: {p.accent}; color: {p.accent_text}; border: none; }}
QPushButton:disabled {{ color: {p.muted}; }}
QToolButton {{ background: transparent; border: 2px solid transparent; border-radius: 8px; padding: 4px; }}
QToolButton:hover {{ background: {p.hover}; }}
QLineEdit, QComboBox, QSpinBox, QDoubleSpinBox, QPlainTextEdit, QKeySequenceEdit {{
    background: {p.page}; border: 1px solid {p.border}; border-radius: 8px; padding: 5px 8px;
}}
QComboBox {{ combobox-popup: 0; }}
QComboBox QAbstractItemView {{ background: {p.surface}; border: 1px solid {p.border}; outline: none;
    selection-background-color: {p.raised_hover}; selection-color: {p.text}; }}
QComboBox QAbstractItemView::item {{ min-height: 24px; padding: 0 6px; }}
QComboBox::drop-down {{ border: none; width: 24px; }}
QComboBox::down-arrow {{ image: url(:/qt-project.org/styles/commonstyle/images/arrow-down-16.png);
    width: 10px; height: 10px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{ width: 0; border: none; }}
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
#ChatBody[focused="true"] {{ border: 2px solid {p.accent}; border-radius: 6px; }}
QMenu {{ background: {p.surface}; border: 1px solid {p.border}; padding: 4px; }}
QMenu::item {{ padding: 6px 18px; border-radius: 6px; }}
QMenu::item:selected {{ background: {p.raised_hover}; }}
QMenu::separator {{ height: 1px; background: {p.border}; margin: 2px 8px; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 0; }}
QScrollBar::handle:vertical {{ background: {p.border}; border-radius: 5px; min-height: 32px; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 0; }}
QScrollBar::handle:horizontal {{ background: {p.border}; border-radius: 5px; min-width: 32px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QSplitter::handle {{ background: {p.border}; }}
QStatusBar {{ background: {p.page}; color: {p.muted}; font-size: {SMALL_PX}px; }}
QStatusBar QLabel {{ color: {p.muted}; }}
"""


def _chat(p: Palette) -> str:
    return f"""
#ChatPane, #ChatScroll, #ChatBody, #ChatScroll > QWidget > QWidget {{ background: {p.page}; border: none; }}
#ChatHeader {{ background: {p.page}; border-bottom: 1px solid {p.border}; }}
#ChatTitle {{ font-size: 15px; font-weight: 600; }}
#UserBubble {{ background: {p.user_bubble}; border-radius: 16px; border: 2px solid transparent; }}
#UserBubble[editing="true"] {{ border: 2px solid {p.accent}; }}
#MessageText {{ background: transparent; border: none; font-size: {BODY_PX}px; }}
#StatsLine, #Caption {{ color: {p.muted}; font-size: {SMALL_PX}px; }}
#Thinking {{ color: {p.muted}; font-size: {BODY_PX}px; }}
QToolButton#ThoughtToggle {{ color: {p.muted}; font-size: {SMALL_PX + 1}px; padding: 2px 8px 2px 2px; }}
QToolButton#ThoughtToggle:checked {{ background: transparent; }}
QToolButton#ThoughtToggle:hover {{ background: {p.hover}; color: {p.text}; }}
#ThoughtBody {{ background: transparent; border: none; border-left: 3px solid {p.border}; }}
#ThoughtText #ProseText {{ color: {p.muted}; }}
#JumpToLatest {{ background: {p.accent}; border: 2px solid {p.page}; border-radius: 18px; }}
#JumpToLatest:hover {{ background: {p.accent}; border: 2px solid {p.text}; }}
#Notice, #UndoBar, #TipBar {{ background: {p.surface}; border: 1px solid {p.border}; border-radius: 10px; }}
#Notice QLabel, #UndoBar QLabel, #TipBar QLabel {{ font-size: {SMALL_PX}px; }}
#Welcome {{ font-size: 26px; font-weight: 600; }}
#WelcomeHint {{ color: {p.muted}; font-size: {BODY_PX}px; }}
#ExamplePrompt {{ background: {p.page}; border: 1px solid {p.border}; border-radius: 12px;
    padding: 10px 14px; text-align: left; font-size: 14px; }}
#ExamplePrompt:hover {{ background: {p.hover}; }}
"""


def _composer(p: Palette) -> str:
    return f"""
#ComposerBox {{ background: {p.surface}; border: 1px solid {p.border}; border-radius: 16px; }}
#Thumbnail {{ border: 1px solid {p.border}; border-radius: 6px; padding: 2px; background: {p.page}; }}
#Thumbnail:hover {{ border-color: {p.accent}; }}
#ComposerBox[focused="true"] {{ border: 2px solid {p.accent}; }}
#PromptEdit {{ background: transparent; border: none; font-size: {BODY_PX}px; padding: 2px; }}
#PromptEdit:focus {{ border: none; }}
#SendButton {{ background: {p.accent}; border-radius: 16px; }}
#SendButton:hover {{ background: {p.accent}; }}
#SendButton:disabled {{ background: {p.border}; }}
#SendButton:focus {{ border: 2px solid {p.text}; }}
#EditBanner {{ color: {p.muted}; font-size: {SMALL_PX}px; }}
"""


def _sidebar(p: Palette) -> str:
    return f"""
#Sidebar {{ background: {p.sidebar}; }}
#Sidebar QListView, #Sidebar QListView:focus {{ background: {p.sidebar}; border: none; }}
#Sidebar QListView::item {{ border: 2px solid transparent; border-radius: 8px; }}
#Sidebar QListView::item:hover {{ background: {p.hover}; }}
#Sidebar QListView::item:selected {{ background: {p.selected}; color: {p.text}; }}
#Sidebar QListView::item:focus {{ border-color: {p.accent}; }}
#NewChatButton {{ background: {p.surface}; border: 1px solid {p.border}; border-radius: 8px;
    padding: 6px 10px; font-weight: 600; }}
#NewChatButton:hover {{ background: {p.hover}; }}
#NewChatButton:focus {{ border: 2px solid {p.accent}; }}
#SidebarModels, #SidebarSettings {{ color: {p.muted}; padding: 4px 6px; }}
#SidebarModels:hover, #SidebarSettings:hover {{ color: {p.text}; }}
#RenameEdit {{ padding: 1px 6px; border-radius: 6px; border: 2px solid {p.accent}; }}
"""


def _code(p: Palette) -> str:
    return f"""
#CodeBlock {{ background: {p.code_bg}; border: 1px solid {p.border}; border-radius: 10px; }}
#CodeHeader {{ background: {p.code_header}; border-top-left-radius: 10px; border-top-right-radius: 10px; }}
#CodeLanguage, #CodeCopied {{ color: {p.muted}; font-size: {SMALL_PX}px; }}
#CodeText {{ background: transparent; border: none; padding: 4px 8px; }}
#ProseText {{ background: transparent; border: none; font-size: {BODY_PX}px; }}
"""


def _dialogs(p: Palette) -> str:
    return f"""
QDialog {{ background: {p.page}; }}
QTabWidget::pane {{ border: 1px solid {p.border}; border-radius: 8px; }}
QTabBar::tab {{ padding: 6px 14px; }}
QTabBar::tab:selected {{ color: {p.accent}; }}
QTableView#HubResults:focus {{ border: 2px solid {p.accent}; }}
QWidget#QuickAsk {{ background: {p.page}; border: 1px solid {p.border}; }}
#QuickScroll, #QuickScroll > QWidget, #QuickExchange {{ background: {p.page}; border: none; }}
QToolButton#VoiceModeButton:checked {{ background: {p.accent}; border-radius: 8px; }}
QListWidget#SettingsNav {{ background: {p.sidebar}; border: none; border-radius: 8px; padding: 4px; outline: none; }}
QListWidget#SettingsNav::item {{ padding: 8px 10px; border-radius: 6px; }}
QListWidget#SettingsNav::item:hover {{ background: {p.hover}; }}
QListWidget#SettingsNav::item:selected {{ background: {p.selected}; color: {p.text}; }}
QListWidget#SettingsNav:focus {{ border: 2px solid {p.accent}; }}
QLabel#SettingsHeading {{ font-size: 18px; font-weight: 600; padding-bottom: 8px; }}
QLabel#SettingsCaption {{ color: {p.muted}; font-size: {SMALL_PX}px; }}
#SettingsDialog QAbstractSpinBox::up-button, #SettingsDialog QAbstractSpinBox::down-button {{ width: 16px; }}
QToolButton#ModelPicker {{ font-weight: 600; padding: 4px 8px; }}
QToolButton#ModelPicker::menu-indicator {{ subcontrol-position: right center; right: 4px; }}
"""
