"""Mutants for the code-reading questions: the bank's mutants, aimed at tests/bank/test_outputs.py.

The snippets run inside the pytest process (tests/bank/snippet_outputs.py), so a mutant that patches Flask or
Werkzeug changes what they print, and test_output[<id>] fails for every question whose output depends on
the patched behaviour. Each entry here reuses a mutant of tests/bank/mutants.py under the name
`outputs-<name>`, aimed at the output check instead of the original check files.
"""

from __future__ import annotations

from tests.bank.mutants import MUTANTS, mutant

# Wrong claims some code-reading question's right output refutes.
_AIMED = (
    "after-request-in-order",
    "json-keys-unsorted",
    "no-autoescape",
    "redirect-default-301",
    "url-for-absolute",
    "slash-redirect-301",
    "string-converter-takes-slashes",
    "missing-key-is-none",
    "g-shared-between-requests",
    "test-client-no-cookies",
    "tojson-not-html-safe",
    "strict-undefined",
)

for _name in _AIMED:
    mutant(f"outputs-{_name}", MUTANTS[_name].claim, "test_outputs.py")(MUTANTS[_name].patch)
