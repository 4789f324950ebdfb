"""No store read names its index in a ``hint`` unless it reads most of the collection anyway.

The local store (SecantusDB) answers a hinted read by walking the WHOLE named index and decoding every
document before it matches, sorts and limits (README, known issues; ``bench/store_hints.py``): the
courier's claim with a hint took 217 ms with 10,000 notifications sent against 10 ms without, and
grew with every notification ever sent, so a hub's email drain slowed as it aged (the 10,000 backlog
drained at 5-8 emails/s); a report's timeline read grew with every step of every report. Without a
hint the store takes the documents of the filter's index range, and MongoDB's planner picks the same
index by itself. The public listings (``PUBLIC_INDEX``) read most of the reports whatever the index,
in its order: they keep theirs."""
import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[3] / "services"
READS = {"find", "find_one", "find_one_and_update", "find_one_and_delete", "count_documents", "update_one",
         "update_many", "delete_one", "delete_many", "aggregate", "distinct", "replace_one"}
ALLOWED = {"PUBLIC_INDEX"}  # the index a hint may name, with the reason above


def hinted(tree: ast.AST):
    """(line, what the hint names) of every ``.hint(X)`` and every read's ``hint=X``."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "hint" and node.args:
            yield node.lineno, ast.unparse(node.args[0])
        if isinstance(func, ast.Attribute) and func.attr in READS:
            for keyword in node.keywords:
                if keyword.arg == "hint":
                    yield node.lineno, ast.unparse(keyword.value)


def test_no_read_hints_an_index_but_the_public_listings():
    found = [f"{path.relative_to(SERVICES)}:{line}: hint({named})"
             for path in sorted(SERVICES.rglob("*.py")) if ".venv" not in path.parts
             for line, named in hinted(ast.parse(path.read_text(), str(path))) if named not in ALLOWED]
    assert not found, found


def test_the_check_sees_both_spellings():
    source = 'db.n.find(q).sort("a", 1).limit(5).hint(CLAIM_INDEX)\ndb.n.find_one(q, hint=CLAIM_INDEX)\n' \
             'name_of(x, hint=True)\ncursor.hint(PUBLIC_INDEX)\n'
    assert [named for _, named in hinted(ast.parse(source))] == ["CLAIM_INDEX", "CLAIM_INDEX", "PUBLIC_INDEX"]
