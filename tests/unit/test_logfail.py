"""The suite's logfail rule (tests/conftest.py): which log lines fail a test."""

from __future__ import annotations

import logging

import pytest
from tests_helpers import ErrorLogs


@pytest.mark.allow_error_log  # without it, the autouse logfail fixture fails this very test
def test_hearth_errors_are_caught_and_warnings_llama_cpp_and_others_are_not():
    with ErrorLogs() as errors:
        logging.getLogger("desktop.services.models.model_jobs").error("model job failed")
        logging.getLogger("desktop.services.history.chat_session").warning("a warning is not a failure")
        logging.getLogger("desktop.llama_cpp").error("graph_compute: aborted")  # a cancelled decode
        logging.getLogger("huggingface_hub").error("not Hearth's")
    logging.getLogger("desktop.app").error("after the block: not seen")
    assert errors.unexpected() == ["desktop.services.models.model_jobs: model job failed"]
