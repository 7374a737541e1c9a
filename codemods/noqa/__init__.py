"""The noqa family: suppression comments that silence nothing (AM001).

``am001_unused_noqa.py`` (the rule, judged once a file's other findings are known), ``judge`` (the
family), ``rewrite`` (LibCST: comments only).
"""
