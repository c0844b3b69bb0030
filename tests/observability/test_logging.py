"""The log pipeline on its own: shape of the lines, levels, stdlib routing, redaction."""

import json
import logging

import pytest
from loguru import logger

from app.core.logging import setup_logging

# Recognisable secrets, in the shapes code tends to log them by mistake.
SECRET_KEY = "planted-secret-key-0123456789abcdef"
DB_PASSWORD = "planted-db-password-42"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.plantedSignature123"
COOKIE = "planted-session-cookie-value"


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_lines_are_flat_objects_with_the_event_fields(capsys: pytest.CaptureFixture[str]):
    setup_logging(level="INFO", json_logs=True)

    logger.bind(page_id="p1", attempt=2).info("page {} saved", "p1")

    (line,) = json_lines(capsys.readouterr().err)
    assert line["message"] == "page p1 saved"
    assert line["level"] == "INFO"
    assert line["logger"] == __name__
    assert line["request_id"] is None  # outside a request
    assert line["page_id"] == "p1" and line["attempt"] == 2
    assert line["timestamp"].endswith("Z") and len(line["timestamp"]) == len(
        "2026-01-02T03:04:05.678Z"
    )


def test_stdlib_loggers_keep_their_names_and_uvicorn_access_is_silent(
    capsys: pytest.CaptureFixture[str],
):
    setup_logging(level="INFO", json_logs=True)

    logging.getLogger("uvicorn.error").info("Started server process [%d]", 123)
    logging.getLogger("asyncpg.pool").warning("connection lost")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET / HTTP/1.1" 200')

    lines = json_lines(capsys.readouterr().err)
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("uvicorn.error", "Started server process [123]"),
        ("asyncpg.pool", "connection lost"),
    ]


def test_log_level_is_honored(capsys: pytest.CaptureFixture[str]):
    setup_logging(level="WARNING", json_logs=True)

    logger.info("loguru info")
    logging.getLogger("app.something").info("stdlib info")
    logger.warning("loguru warning")
    logging.getLogger("app.something").error("stdlib error")

    lines = json_lines(capsys.readouterr().err)
    assert [line["message"] for line in lines] == ["loguru warning", "stdlib error"]


def test_sqlalchemy_statements_stay_out_at_info(capsys: pytest.CaptureFixture[str]):
    setup_logging(level="INFO", json_logs=True)

    logging.getLogger("sqlalchemy.engine.Engine").info('SELECT * FROM "User"')

    assert capsys.readouterr().err == ""


def test_exceptions_are_one_json_line_with_the_traceback(capsys: pytest.CaptureFixture[str]):
    setup_logging(level="INFO", json_logs=True)

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("could not save")

    (line,) = json_lines(capsys.readouterr().err)
    assert line["level"] == "ERROR"
    assert "RuntimeError: boom" in line["exception"]


@pytest.mark.parametrize("json_logs", [True, False], ids=["json", "text"])
def test_secrets_logged_by_mistake_are_masked(json_logs: bool, capsys: pytest.CaptureFixture[str]):
    setup_logging(level="DEBUG", json_logs=json_logs, secrets=[SECRET_KEY, DB_PASSWORD])
    url = f"postgresql+asyncpg://app:{DB_PASSWORD}@db:5432/app"
    headers = {"authorization": f"Bearer {JWT}", "cookie": f"session={COOKIE}; theme=dark"}

    logger.info("connecting to {}", url)
    logger.debug("request headers: {}", headers)
    logger.debug("raw headers: {}", [(b"cookie", f"session={COOKIE}".encode())])
    logging.getLogger("httpx").info("Authorization: Bearer %s", JWT)
    logger.bind(settings={"SECRET_KEY": SECRET_KEY}).info("settings loaded")
    logger.info("token={}&next=/", JWT)
    try:
        raise ValueError(f"cannot connect to {url} with key {SECRET_KEY}")
    except ValueError:
        logger.exception("startup failed")

    output = capsys.readouterr().err
    assert "connecting to postgresql+asyncpg://app:" in output  # the lines are there...
    for secret in (SECRET_KEY, DB_PASSWORD, JWT, COOKIE, "plantedSignature123"):
        assert secret not in output  # ...without the secrets
    if json_logs:
        assert len(json_lines(output)) == 7


def test_text_lines_are_readable(capsys: pytest.CaptureFixture[str]):
    setup_logging(level="INFO", json_logs=False)

    logger.info("hello")

    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith(f"| INFO     | {__name__} | hello")


def test_unknown_level_is_refused():
    with pytest.raises(ValueError, match="log level must be one of"):
        setup_logging(level="LOUD", json_logs=True)
