"""Version-fragile questions must name the version in the prompt and in `versions`."""

from __future__ import annotations

from bot.domain.bank import Level, McqQuestion, Option
from bot.domain.version_fragile import version_problems


def _mcq(prompt: str, versions: str | None = None, options: tuple[str, ...] = ("302", "301", "303")) -> McqQuestion:
    return McqQuestion(
        id="q",
        level=Level.FRESHER,
        topic="routing",
        kind="mcq",
        prompt=prompt,
        options=[Option(text=options[0], correct=True), *(Option(text=t) for t in options[1:])],
        explanation="Because.",
        versions=versions,
        references=["https://flask.palletsprojects.com/en/stable/api/#flask.redirect"],
    )


def test_redirect_default_needs_a_version() -> None:
    bare = _mcq("Which status code does `redirect(url_for('index'))` use when no `code` is given?")
    assert len(version_problems(bare)) == 2
    only_field = _mcq(bare.prompt, versions="Flask <= 3.1")
    (problem,) = version_problems(only_field)
    assert (
        problem.startswith("prompt mentions redirect()'s default code") and "names no Flask/Werkzeug version" in problem
    )
    stated = _mcq("In Flask 3.1, " + bare.prompt, versions="Flask <= 3.1")
    assert version_problems(stated) == []


def test_options_count_as_well() -> None:
    q = _mcq("Which template is not autoescaped?", options=("`mail.txt`", "`page.html`", "`icon.svg`"))
    assert version_problems(q)
    assert not version_problems(_mcq("On Flask 3.1, " + q.prompt, "Flask >= 2.2.3", ("a.txt", "b.html", "c.svg")))


def test_ordinary_questions_need_nothing() -> None:
    assert version_problems(_mcq("What does `redirect()` return?")) == []
    assert version_problems(_mcq("Which config key caps the request body, `MAX_CONTENT_LENGTH`?")) == []
    # app.register_blueprint is ordinary; registering on another blueprint (nesting) is versioned.
    assert version_problems(_mcq("What does `app.register_blueprint(bp)` do?")) == []
    assert version_problems(_mcq("What does `api.register_blueprint(v1)` do?"))
