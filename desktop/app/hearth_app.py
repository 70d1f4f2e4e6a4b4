"""The desktop app's composition root: builds the services and the window, applies settings."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from desktop.app.companion import Companion
from desktop.app.model_choices import ModelPickerBinding, load_catalog
from desktop.app.model_rows import ManagerView
from desktop.app.read_aloud import ReadAloud
from desktop.app.voice_conversation import VoiceConversation
from desktop.app.wiring import (
    connect_dictation,
    connect_hub_search,
    connect_model_manager,
    connect_window,
    disconnect_dictation,
)
from desktop.core.api_policy import new_api_key
from desktop.core.catalog import read_catalog
from desktop.core.engine_types import GenerationOptions
from desktop.core.errors import HearthError, ModelFileError
from desktop.core.gguf_info import check_pair, read_gguf_info
from desktop.core.model_roles import role_name
from desktop.core.paths import HearthPaths, assets_dir
from desktop.core.settings import Settings, save_settings
from desktop.gui.main_window import MainWindow
from desktop.gui.model_manager import ModelManagerDialog
from desktop.gui.settings_dialog import SettingsDialog
from desktop.gui.theme import Theme
from desktop.services.engines.answer_stream import ChatEngine
from desktop.services.engines.llama_runtime import backend_info
from desktop.services.history.chat_session import ChatSession
from desktop.services.models.engine_choice import EngineChoice, EngineRequest, choose_engine
from desktop.services.models.hub_searcher import HubSearcher
from desktop.services.models.model_jobs import ModelJobs
from desktop.services.models.model_store import ModelStore
from desktop.services.models.starter_models import STARTER_VISION_TIP, TEST_PROJECTOR
from desktop.services.speech.audio_devices import CuePlayer, input_device_names
from desktop.services.speech.dictation import Dictation
from desktop.services.speech.echo_canceller import EchoReference
from desktop.services.speech.transcriber import Transcriber
from desktop.services.speech.voice import voice_problem
from desktop.services.system.portals import PortalScreenshot, wants_portals

if TYPE_CHECKING:
    from desktop.services.api.api_server import ApiServer

__all__ = ["HearthApp"]

log = logging.getLogger(__name__)


class HearthApp:
    """Owns the services and the window for the app's lifetime; `shutdown()` is idempotent."""

    def __init__(self, paths: HearthPaths, settings: Settings, *, hub_endpoint: str | None = None) -> None:
        self.paths = paths
        self._hub_endpoint = hub_endpoint  # None: huggingface_hub's own (HF_ENDPOINT or the hub)
        self.settings = settings
        self._store = ModelStore(paths.models_dir)  # read here; the model jobs' worker writes with its own
        self.choice = self._choose(settings)
        self.engine: ChatEngine = self.choice.make()
        self.session = ChatSession(
            self.engine, paths.history_db, system_prompt=settings.system_prompt,
            options=_options(settings),
        )
        self.theme = Theme(_qt_app())
        self.theme.force(settings.appearance)  # "system" follows the system, live
        self.window = MainWindow()
        self.window.restore_layout(settings.window_geometry, settings.sidebar_width)
        self._announce_vision(settings)
        self.window.tip.dismissed.connect(self._tip_seen)
        self.window.set_talk_shortcut(settings.ptt_shortcut)
        self.chat = connect_window(self.window, self.session)
        self.picker_binding = ModelPickerBinding(self.window.model_picker, self, store=self._store,
                                                 catalog=load_catalog(self.paths.catalog_file))
        self.window.settingsRequested.connect(self.open_settings)
        self.window.modelsRequested.connect(self.open_models)
        self.models_dialog: ModelManagerDialog | None = None
        self.model_jobs: ModelJobs | None = None
        self.hub_searcher: HubSearcher | None = None
        self._models_view: ManagerView | None = None
        self.dictation: Dictation | None = None
        self._start_voice(settings)
        self.api_server: ApiServer | None = None
        self._start_api(settings)
        self.companion = Companion(_qt_app(), self.window, self.session, self.chat, settings)
        self.screenshot_portals = self._use_screenshot_portals()
        echo = EchoReference()  # what the speaker plays, for voice mode's echo canceller
        self.read_aloud = ReadAloud(self.window, self.session, settings, paths.models_dir / "voices", echo=echo)
        self.read_aloud.serve(self.companion.quick)
        self.voice_mode = VoiceConversation(self.window, self.session, self.read_aloud,
                                            lambda: self._store.chosen("whisper", self.settings.whisper_path),
                                            microphone=lambda: self.settings.microphone, echo=echo)
        self.session.start()
        if settings.last_conversation is not None:
            self.chat.switch_to(settings.last_conversation)
        self._closed = False

    # -- settings ------------------------------------------------------------------------

    def open_settings(self) -> SettingsDialog:
        gpu_note = None if backend_info().gpu_offload else "This build of llama.cpp runs on the CPU only."
        dialog = SettingsDialog(self.settings, microphones=input_device_names(), gpu_note=gpu_note,
                                tray=self.companion.tray is not None,
                                quick_ask_note=self.companion.shortcut_problem,
                                voices=tuple(self.read_aloud.voices()),
                                voice_note=voice_problem(self.paths.models_dir / "voices"),
                                parent=self.window)
        dialog.modelsRequested.connect(self.open_models)
        dialog.accepted.connect(lambda: self.apply_settings(dialog.result_settings()))
        dialog.open()
        return dialog

    def apply_settings(self, settings: Settings) -> None:
        """Save `settings` and apply them: a new engine only when the model changed."""
        old, self.settings = self.settings, settings
        save_settings(self.paths.settings_file, settings)
        self.picker_binding.refresh()
        self.session.system_prompt = settings.system_prompt
        self.session.options = _options(settings)
        self.window.set_talk_shortcut(settings.ptt_shortcut)
        if settings.appearance != old.appearance:
            self.theme.force(settings.appearance)
        self.companion.apply(settings, old)
        self.read_aloud.apply(settings)
        choice = self._choose(settings)
        if choice != self.choice:
            try:
                engine = choice.make()
            except HearthError as error:  # the engine in use goes on answering
                self.window.show_engine_failure(str(error))
                return
            self.choice, self.engine = choice, engine
            self.window.show_engine_loading()
            self._announce_vision(settings)
            self.session.set_engine(self.engine)
        if (settings.whisper_path, settings.microphone) != (old.whisper_path, old.microphone):
            self._stop_voice()
            self._start_voice(settings)
        if (settings.api_enabled, settings.api_port, settings.api_key) != (old.api_enabled, old.api_port, old.api_key):
            self._stop_api()
            self._start_api(settings)

    # -- models --------------------------------------------------------------------------

    def open_models(self) -> ModelManagerDialog:
        """The model manager (made on first use, with its worker thread)."""
        if self.models_dialog is None:
            dialog = ModelManagerDialog(self.window)
            catalog = read_catalog(self.paths.catalog_file)
            view = ManagerView(dialog, catalog, in_use=self._in_use)
            jobs = ModelJobs(self._store.models_dir, endpoint=self._hub_endpoint)
            jobs.machineDetected.connect(view.show_machine)
            jobs.installedChanged.connect(self.picker_binding.refresh)
            connect_model_manager(dialog, jobs, catalog, show_installed=view.show_installed,
                                  set_default=self.set_default_model, remove=self.remove_model)
            searcher = HubSearcher(endpoint=self._hub_endpoint)
            connect_hub_search(dialog, searcher, jobs, view)
            self.models_dialog, self.model_jobs, self._models_view = dialog, jobs, view  # Qt holds slots weakly
            self.hub_searcher = searcher
            jobs.detect_machine()  # on the worker, now that the reports have somewhere to go
            jobs.refresh()
        self.models_dialog.show()
        self.models_dialog.raise_()
        return self.models_dialog

    def set_default_model(self, role: str, name: str) -> None:
        path = self._store.models_dir / name
        dialog = self.models_dialog
        try:
            if role == "mmproj":
                local = self._choose(self.settings, local=True)
                if local.local is None:
                    raise ModelFileError(local.problem)
                check_pair(read_gguf_info(local.local.model_path), read_gguf_info(path))
            self.apply_settings(self.settings.with_default(role, str(path)))
        except (HearthError, ValueError) as error:
            if dialog is not None:
                dialog.show_failed(str(error))
            return
        if dialog is not None and self.model_jobs is not None:
            dialog.show_finished(f"{name} is now the default {role_name(role)}.")
            self.model_jobs.refresh()

    def remove_model(self, name: str) -> None:
        """Remove an installed model, unless the app is using it right now."""
        if self._store.models_dir / name in self._in_use():
            if self.models_dialog is not None:
                self.models_dialog.show_failed(f"{name} is in use: make another model the default first.")
            return
        if self.model_jobs is not None:
            self.model_jobs.remove(name)

    def _in_use(self) -> set[Path]:
        whisper = self._store.chosen("whisper", self.settings.whisper_path)
        return self.choice.files() | ({whisper} if whisper is not None else set())

    # -- lifetime ------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop and join every worker, in order. A step that fails is logged and the rest
        still run: a worker left running would meet the interpreter while it finalizes."""
        if self._closed:
            return
        self._closed = True
        for step in (self._remember_window, self.chat.keep_drafts, self.voice_mode.stop, self._stop_screenshots,
                     self.companion.shutdown,
                     self.read_aloud.shutdown, self._stop_jobs, self._stop_api, self._stop_voice,
                     self.session.shutdown, self.engine.close):
            try:
                step()
            except Exception:
                log.exception("quitting: %s failed", step.__name__)

    def _use_screenshot_portals(self) -> list[PortalScreenshot]:
        """On Wayland the desktop's Screenshot portal takes "Ask about my screen"'s
        pictures, for the window and for Quick Ask; a failure is said where it was asked."""
        if not wants_portals(_qt_app().platformName()):
            return []
        portals = []
        for ask, say in ((self.window.screen_ask, self.window.show_notice),
                         (self.companion.quick.screen_ask, self.companion.quick.status.setText)):
            portal = PortalScreenshot()
            ask.use_portal(portal)
            ask.failed.connect(say)
            portals.append(portal)
        return portals

    def _stop_screenshots(self) -> None:
        for portal in self.screenshot_portals:
            portal.cancel()  # an open dialog of the desktop's is closed too

    def _stop_jobs(self) -> None:
        if self.model_jobs is not None:
            self.model_jobs.shutdown()
        if self.hub_searcher is not None:
            self.hub_searcher.shutdown()

    # -- helpers -------------------------------------------------------------------------

    def _remember_window(self) -> None:
        """Size, position, sidebar width and the open conversation, for the next start."""
        geometry, sidebar = self.window.layout_state()
        current = self.chat.current if self.chat.current >= 0 else None
        remembered = self.settings.updated(window_geometry=geometry, sidebar_width=sidebar,
                                           last_conversation=current)
        if remembered != self.settings:
            self.settings = remembered
            save_settings(self.paths.settings_file, remembered)

    def _tip_seen(self) -> None:
        if not self.settings.vision_tip_seen:
            self.settings = self.settings.updated(vision_tip_seen=True)
            save_settings(self.paths.settings_file, self.settings)

    def _choose(self, settings: Settings, *, local: bool = False) -> EngineChoice:
        """The engine for `settings`, by the rule the command line follows too."""
        return choose_engine(settings, self._store, EngineRequest(local=local))

    def _start_api(self, settings: Settings) -> None:
        """The OpenAI-compatible API on loopback, over the window's own engine. It always
        asks for a key (a web page could otherwise drive it): made and saved on first use."""
        if not settings.api_enabled:
            self.window.show_api_address("")
            return
        if not settings.api_key:
            settings = self.settings = settings.updated(api_key=new_api_key())
            save_settings(self.paths.settings_file, settings)
        from desktop.services.api.api_server import ApiServer  # FastAPI and uvicorn: only once the API is on
        from desktop.services.api.openai_api import ApiBackend, create_api

        backend = ApiBackend(engine=lambda: self.engine, transcriber=self._api_transcriber, api_key=settings.api_key)
        server = ApiServer(create_api(backend), host="127.0.0.1", port=settings.api_port)
        try:
            self.window.show_api_address(server.start())
        except HearthError as error:
            self.window.show_api_address("")
            self.window.show_notice(str(error))
            return
        self.api_server = server

    def _stop_api(self) -> None:
        if self.api_server is not None:
            self.api_server.stop()
            self.api_server = None

    def _api_transcriber(self) -> Transcriber | None:
        return self.dictation.transcriber if self.dictation is not None else None

    def _announce_vision(self, settings: Settings) -> None:
        """Images can be attached while the model loads when a projector is configured."""
        if self.choice.local is None:
            return  # a remote engine says when it is ready; no model: the engine's failure says so
        mmproj = self.choice.local.mmproj_path
        starter = mmproj is not None and mmproj.name == TEST_PROJECTOR
        shown = starter and not settings.vision_tip_seen  # once; the model manager says it too
        self.window.tip.show_tip(STARTER_VISION_TIP if shown else "", action="Get a vision model…")
        if shown:
            self._tip_seen()
        self.window.set_vision(False)
        if mmproj is not None:
            try:
                projector = read_gguf_info(mmproj)
                self.window.set_vision(projector.is_projector, projector.max_image_side)
            except HearthError:
                pass  # the engine reports the broken file when it loads

    def _start_voice(self, settings: Settings) -> None:
        whisper = self._store.chosen("whisper", settings.whisper_path)
        if whisper is None:
            self.window.set_voice_available(False)
            return
        sounds = assets_dir() / "sounds"
        self.dictation = Dictation(
            lambda: Transcriber(whisper), device=settings.microphone,
            cues=CuePlayer(sounds / "ptt-start.wav", sounds / "ptt-stop.wav"),
        )
        self.window.set_voice_available(True)
        connect_dictation(self.window, self.dictation, send_after_speaking=lambda: self.settings.send_after_speaking)
        self.dictation.start()

    def _stop_voice(self) -> None:
        if self.dictation is not None:
            self.dictation.shutdown()
            disconnect_dictation(self.window, self.dictation)
            if self.dictation.transcriber is not None:
                self.dictation.transcriber.close()
            self.dictation = None




def _qt_app() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication), "make the QApplication before the HearthApp"
    return app


def _options(settings: Settings) -> GenerationOptions:
    return GenerationOptions(temperature=settings.temperature, top_p=settings.top_p)
