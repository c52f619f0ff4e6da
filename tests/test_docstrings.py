"""The examples in the package's docstrings run, against the installed package."""

import doctest
from pathlib import Path

import pytest

import plenty_events
from plenty_events import (
    _api,
    _encode,
    _errors,
    _fast,
    _lines,
    _model,
    _redact,
    _schema,
    countries,
    receiver,
    testing,
    timestamps,
)
from plenty_events.receiver import _answers, _inbox, _outcomes, _receiver, _sqlite
from plenty_events.receiver import django as django_integration
from plenty_events.receiver import fastapi as fastapi_integration
from plenty_events.receiver import flask as flask_integration

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize(
    "module",
    [
        plenty_events,
        _api,
        _encode,
        _errors,
        _fast,
        _lines,
        _model,
        _redact,
        _schema,
        countries,
        testing,
        timestamps,
        receiver,
        _answers,
        _inbox,
        _outcomes,
        _receiver,
        _sqlite,
        fastapi_integration,
        flask_integration,
        django_integration,
    ],
    ids=lambda module: module.__name__,
)
def test_docstring_examples_run(module, monkeypatch):
    """Every >>> example in the module's docstrings gives the output it shows."""
    monkeypatch.chdir(ROOT)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0
