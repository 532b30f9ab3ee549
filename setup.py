"""The question bank (`questions/` at the top of the repo) ships inside the package as `bot/questions/`,
and the interface's compiled catalogs (`bot/locale/<lang>/LC_MESSAGES/bot.mo`) with it.

pyproject.toml alone cannot map a folder outside `bot/` into it: `package_dir` does, here.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["bot", "bot.*"], exclude=["*.__pycache__"]), "bot.questions"],
    package_dir={"bot.questions": "questions"},
    # The compiled catalogs are committed (bot/locale/README.md), so a plain install ships them with no build step.
    package_data={"bot.questions": ["*.yaml"], "bot.locale": ["*/LC_MESSAGES/*.mo"]},
)
