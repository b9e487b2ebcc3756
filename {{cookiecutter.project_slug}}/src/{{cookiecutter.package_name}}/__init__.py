{#- Non-ASCII goes in as escapes (\u2019): ruff flags typographic quotes and dashes, and
whole Cyrillic or Greek words, as confusable (RUF001, RUF002), and a noqa that an answer
does not need is itself an error (RUF100). main.py's title does the same; README.md and
pyproject.toml keep the text as typed. Surrounding spaces would be stripped by the
formatter. -#}
"""{{ cookiecutter.description.strip().encode("ascii", "backslashreplace").decode("ascii") }}"""
