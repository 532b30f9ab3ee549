"""The question bank (`questions/` at the top of the repo) ships inside the package as `bot/questions/`.

pyproject.toml alone cannot map a folder outside `bot/` into it: `package_dir` does, here.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["bot", "bot.*"], exclude=["*.__pycache__"]), "bot.questions"],
    package_dir={"bot.questions": "questions"},
    package_data={"bot.questions": ["*.yaml"]},
)
