"""asyncmend's rule families: analysis, rules and LibCST rewriters (installed as ``asyncmend.codemods``).

``registry`` lists the families and their rules. ``drain``, ``threads`` and ``unawaited`` are the
families' LibCST codemod commands, for ``python -m libcst.tool codemod``; they load LibCST and the
engine, so nothing that checks imports them.
"""
