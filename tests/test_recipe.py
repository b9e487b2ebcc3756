"""The generated README's "Adding a resource" recipe, followed step by step in a copy of
each combination: its worked example (notes, owned by users) passes the project's own lint,
type check and test suite, and the README names every file the recipe touches, in the
order the steps below touch them, so that the two cannot drift apart."""

import ast
import re
import shlex
import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .baking import Project

RESOURCE = "notes"  # the worked example; the README calls it <resource> in file names

# --- the worked example, as the README's steps add it

MODEL = """

class Note(Timestamped, Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
"""

SCHEMAS = """

NoteBody = Annotated[Text, Field(min_length=1, max_length=10_000)]


class NoteCreate(Input):
    body: NoteBody


class NoteUpdate(Patch):
    body: NoteBody | SkipJsonSchema[None] = None


class NoteRead(Output):
    id: int
    owner_id: int
    body: str
    created_at: datetime
    updated_at: datetime
"""

ROUTES = '''\
"""Notes, each owned by a user: create, read, list, update and delete."""

from fastapi import APIRouter, status
from sqlalchemy import bindparam, delete, exists, insert, select, update

from ..database import DbConnection, dicts
from ..errors import NotFound, documented
from ..models import Note, User
from ..pagination import Page, PageQuery, keyset, split_page
from ..schemas import Id, NoteCreate, NoteRead, NoteUpdate

router = APIRouter(tags=["notes"], responses=documented(503))

# Statements are built once, here; values come as bind parameters.
INSERT = insert(Note).returning(Note)
SELECT = select(Note).where(Note.id == bindparam("note_id"))
SELECT_PAGE = keyset(select(Note).where(Note.owner_id == bindparam("user_id")), Note.id)
USER_EXISTS = select(exists().where(User.id == bindparam("user_id")))
UPDATE = update(Note).where(Note.id == bindparam("note_id")).returning(Note)
DELETE = delete(Note).where(Note.id == bindparam("note_id")).returning(Note.id)


@router.post(
    "/users/{user_id}/notes", status_code=status.HTTP_201_CREATED, responses=documented(404, 413)
)
async def create_note(user_id: Id, body: NoteCreate, connection: DbConnection) -> NoteRead:
    """Create a note; a missing user breaks the foreign key, which answers 404."""
    params = {"owner_id": user_id, **body.model_dump()}
    note = (await connection.execute(INSERT, params)).mappings().one()
    return NoteRead.model_validate(note)


@router.get("/users/{user_id}/notes", responses=documented(404))
async def list_notes(user_id: Id, connection: DbConnection, page: PageQuery) -> Page[NoteRead]:
    """List a user's notes by id."""
    params = {"user_id": user_id, **page.bind()}
    rows = dicts(await connection.execute(SELECT_PAGE, params))
    # Only an empty page needs to tell "no such user" from "no more notes".
    if not rows and not await connection.scalar(USER_EXISTS, {"user_id": user_id}):
        raise NotFound("User", user_id)
    notes, next_cursor = split_page(rows, page)
    return Page[NoteRead].model_validate({"items": notes, "next_cursor": next_cursor})


@router.get("/notes/{note_id}", responses=documented(404))
async def get_note(note_id: Id, connection: DbConnection) -> NoteRead:
    note = (await connection.execute(SELECT, {"note_id": note_id})).mappings().first()
    if note is None:
        raise NotFound("Note", note_id)
    return NoteRead.model_validate(note)


@router.patch("/notes/{note_id}", responses=documented(404, 413))
async def update_note(note_id: Id, body: NoteUpdate, connection: DbConnection) -> NoteRead:
    params = {"note_id": note_id, **body.model_dump(exclude_unset=True)}
    note = (await connection.execute(UPDATE, params)).mappings().first()
    if note is None:
        raise NotFound("Note", note_id)
    return NoteRead.model_validate(note)


@router.delete(
    "/notes/{note_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented(404)
)
async def delete_note(note_id: Id, connection: DbConnection) -> None:
    if (await connection.execute(DELETE, {"note_id": note_id})).first() is None:
        raise NotFound("Note", note_id)
'''

CONSTRAINT = "fk_notes_owner_id_users"
# The line the recipe adds to CONSTRAINT_ANSWERS.
CONSTRAINT_ANSWER = (
    f'    "{CONSTRAINT}": (status.HTTP_404_NOT_FOUND, "User {{user_id}} not found"),\n'
)

# {package} is the project's package.
TESTS = '''\
"""The note routes, including every error they answer."""

from typing import Protocol

import pytest
from httpx import AsyncClient
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from {package}.models import Note

from .conftest import AddUser


class AddNote(Protocol):
    async def __call__(self, owner_id: int, body: str = ...) -> int: ...


@pytest.fixture
def add_note(connection: AsyncConnection) -> AddNote:
    """Insert a note straight into the test's transaction."""

    async def add(owner_id: int, body: str = "Buy milk") -> int:
        query = insert(Note).values(owner_id=owner_id, body=body).returning(Note.id)
        return (await connection.execute(query)).scalar_one()

    return add


async def test_create_and_get_note(client: AsyncClient, add_user: AddUser) -> None:
    user_id = await add_user()

    created = await client.post(f"/users/{user_id}/notes", json={"body": " Buy milk "})
    fetched = await client.get(f"/notes/{created.json()['id']}")

    assert created.status_code == 201
    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    assert fetched.json()["owner_id"] == user_id
    assert fetched.json()["body"] == "Buy milk"


async def test_note_for_missing_user_is_not_found(client: AsyncClient) -> None:
    response = await client.post("/users/999999/notes", json={"body": "Orphan"})

    assert response.status_code == 404
    assert response.json() == {"detail": "User 999999 not found"}
    assert (await client.get("/users/999999/notes")).status_code == 404


async def test_invalid_note_bodies_are_rejected(client: AsyncClient, add_user: AddUser) -> None:
    user_id = await add_user()

    for body in [{}, {"body": ""}, {"body": "x" * 10_001}, {"body": "Ok", "owner_id": 2}]:
        response = await client.post(f"/users/{user_id}/notes", json=body)
        assert response.status_code == 422, body


async def test_list_notes_pages_by_cursor(
    client: AsyncClient, add_user: AddUser, add_note: AddNote
) -> None:
    user_id = await add_user()
    other = await add_user("bob@example.com", "Bob")
    ids = [await add_note(user_id, f"Note {n}") for n in range(3)]
    await add_note(other, "Not Ada's")

    first = (await client.get(f"/users/{user_id}/notes", params={"limit": 2})).json()
    rest = (
        await client.get(f"/users/{user_id}/notes", params={"after": first["next_cursor"]})
    ).json()

    assert [note["id"] for note in first["items"]] == ids[:2]
    assert [note["id"] for note in rest["items"]] == ids[2:]
    assert rest["next_cursor"] is None


async def test_update_note(client: AsyncClient, add_user: AddUser, add_note: AddNote) -> None:
    note_id = await add_note(await add_user())

    updated = await client.patch(f"/notes/{note_id}", json={"body": "Buy oat milk"})
    nulled = await client.patch(f"/notes/{note_id}", json={"body": None})

    assert updated.status_code == 200
    assert updated.json()["body"] == "Buy oat milk"
    assert updated.json()["updated_at"] > updated.json()["created_at"]
    assert nulled.status_code == 422


async def test_delete_note_and_a_user_with_notes(
    client: AsyncClient, add_user: AddUser, add_note: AddNote
) -> None:
    user_id = await add_user()
    note_id, other_id = await add_note(user_id), await add_note(user_id, "Other")

    assert (await client.delete(f"/notes/{note_id}")).status_code == 204
    assert (await client.get(f"/notes/{note_id}")).status_code == 404
    assert (await client.delete(f"/users/{user_id}")).status_code == 204
    assert (await client.get(f"/notes/{other_id}")).status_code == 404


async def test_missing_note_is_not_found(client: AsyncClient) -> None:
    for response in [
        await client.get("/notes/999999"),
        await client.patch("/notes/999999", json={"body": "Nothing"}),
        await client.delete("/notes/999999"),
    ]:
        assert response.status_code == 404
        assert response.json() == {"detail": "Note 999999 not found"}
'''

UPGRADE = "uv run alembic upgrade head"
REVISION = 'uv run alembic revision --autogenerate -m "create notes"'
CHECKS = (
    "uv run ruff check .",
    "uv run ruff format --check .",
    "uv run mypy",
    "uv run pytest",
)

# --- the steps


def path_of(project: Project, name: str) -> Path:
    """A file as the README names it ({package}, <resource>), in `project`."""
    return project.path / name.format(package=project.package).replace("<resource>", RESOURCE)


def sub_once(path: Path, pattern: str, replace: Callable[[re.Match[str]], str]) -> None:
    """Replace the one match of `pattern` in `path`; fail if there is not exactly one."""
    text = path.read_text()
    matches = list(re.finditer(pattern, text, flags=re.MULTILINE))
    assert len(matches) == 1, f"{path}: expected one match of {pattern!r}, found {len(matches)}"
    match = matches[0]
    path.write_text(text[: match.start()] + replace(match) + text[match.end() :])


def append(path: Path, code: str) -> None:
    path.write_text(path.read_text() + code)


def add_model(project: Project, env: dict[str, str]) -> None:
    models = path_of(project, "src/{package}/models.py")
    append(models, MODEL)

    def exported(match: re.Match[str]) -> str:
        names: list[str] = [*ast.literal_eval(match[1]), "Note"]
        # Constants, then classes, then the rest (ruff's RUF022 order).
        names.sort(key=lambda name: (not name.isupper(), not name[0].isupper(), name))
        return "__all__ = [" + ", ".join(f'"{name}"' for name in names) + "]"

    sub_once(models, r"^__all__ = (\[[^\]]*\])", exported)


def add_schemas(project: Project, env: dict[str, str]) -> None:
    append(path_of(project, "src/{package}/schemas.py"), SCHEMAS)


def add_routes(project: Project, env: dict[str, str]) -> None:
    path = path_of(project, "src/{package}/routes/<resource>.py")
    assert not path.exists()
    path.write_text(ROUTES)


def include_router(project: Project, env: dict[str, str]) -> None:
    main = path_of(project, "src/{package}/main.py")
    sub_once(
        main,
        r"^from \.routes import (.+)$",
        lambda m: "from .routes import " + ", ".join(sorted([*m[1].split(", "), RESOURCE])),
    )
    # After the last resource's router, before the probes' (the README says so).
    sub_once(
        main,
        r"^( *)app\.include_router\(items\.router\)\n",
        lambda m: m[0] + f"{m[1]}app.include_router({RESOURCE}.router)\n",
    )


def add_constraint_answer(project: Project, env: dict[str, str]) -> None:
    errors = path_of(project, "src/{package}/errors.py")
    sub_once(errors, r"^CONSTRAINT_ANSWERS\b.*\{\n", lambda m: m[0] + CONSTRAINT_ANSWER)


def add_tests(project: Project, env: dict[str, str]) -> None:
    path = path_of(project, "tests/test_<resource>.py")
    assert not path.exists()
    path.write_text(TESTS.replace("{package}", project.package))


def uv_run(project: Project, command: str, env: dict[str, str]) -> None:
    words = shlex.split(command)
    assert words[:2] == ["uv", "run"], command
    project.uv(*words[2:], env=env)


def generate_migration(project: Project, env: dict[str, str]) -> None:
    """Autogenerate against a database at head; read the revision; upgrade to it."""
    versions = project.path / "migrations" / "versions"
    before = set(versions.glob("*.py"))
    uv_run(project, UPGRADE, env)
    uv_run(project, REVISION, env)
    (revision,) = set(versions.glob("*.py")) - before
    text = revision.read_text()
    # One new table and its index, nothing else (SQLite's changes come in batches).
    tables = re.findall(r"op\.(?:create_table|batch_alter_table)\(\s*\"(\w+)\"", text)
    assert set(tables) == {RESOURCE}, text
    operations = set(re.findall(r"\b(?:batch_)?op\.(\w+)\(", text)) - {"f", "batch_alter_table"}
    assert operations == {"create_table", "create_index", "drop_index", "drop_table"}, text
    assert CONSTRAINT in text
    uv_run(project, UPGRADE, env)


@dataclass(frozen=True)
class Step:
    # As the README names them: {package} for the package, <resource> for the resource; a
    # name ending in / is a folder the step adds a file to.
    files: tuple[str, ...]
    apply: Callable[[Project, dict[str, str]], None]
    commands: tuple[str, ...] = ()
    only_with_alembic: bool = False


STEPS = (
    Step(("src/{package}/models.py",), add_model),
    Step(("src/{package}/schemas.py",), add_schemas),
    Step(("src/{package}/routes/<resource>.py",), add_routes),
    Step(("src/{package}/main.py",), include_router),
    Step(("src/{package}/errors.py",), add_constraint_answer),
    Step(("tests/test_<resource>.py",), add_tests),
    Step(
        ("migrations/versions/",),
        generate_migration,
        commands=(UPGRADE, REVISION),
        only_with_alembic=True,
    ),
)


def steps_for(project: Project) -> list[Step]:
    return [s for s in STEPS if project.combination.use_alembic or not s.only_with_alembic]


# --- the README


def recipe(project: Project) -> tuple[list[str], str, str]:
    """The README section's numbered steps, the text after them, and its Python sketch."""
    readme = (project.path / "README.md").read_text()
    match = re.search(r"^## Adding a resource\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert match, "the README has no '## Adding a resource' section"
    items: list[list[str]] = []
    after: list[str] = []
    for line in match[1].splitlines():
        number = re.match(r"(\d+)\. ", line)
        if number:
            assert int(number[1]) == len(items) + 1, line
            items.append([line])
        elif items and not after and (not line or line.startswith(" ")):
            items[-1].append(line)
        elif items:
            after.append(line)
    sketch = re.search(r"```python\n(.*?)```", match[1], re.DOTALL)
    assert sketch, "the recipe has no sketch of the route module"
    return ["\n".join(item) for item in items], "\n".join(after), textwrap.dedent(sketch[1])


def test_the_readme_names_each_step_s_files_in_order(baked: Project) -> None:
    items, after, sketch = recipe(baked)
    steps = steps_for(baked)

    assert len(items) == len(steps), items
    for number, (item, step) in enumerate(zip(items, steps, strict=True), start=1):
        for name in step.files:
            assert name.format(package=baked.package) in item, (number, name)
        for command in step.commands:
            assert command in item, (number, command)
    assert ("alembic" in "\n".join(items)) == baked.combination.use_alembic
    positions = [after.find(check) for check in CHECKS]
    assert -1 not in positions and positions == sorted(positions), after
    # The sketch is the worked example's route module, abridged.
    routes = {line.strip() for line in ROUTES.splitlines()}
    for line in sketch.splitlines():
        assert not line.strip() or line.strip().startswith("...") or line.strip() in routes, line


def changed_files(project: Project, original: Project) -> set[str]:
    """Files of `project` that `original` does not have, or has with other contents."""
    changed = set()
    for path in project.files():
        relative = path.relative_to(project.path)
        before = original.path / relative
        # uv.lock is written by `uv sync`, not by the recipe.
        if relative.name != "uv.lock" and (
            not before.is_file() or before.read_bytes() != path.read_bytes()
        ):
            changed.add(relative.as_posix())
    return changed


def test_following_the_recipe_passes_every_check(
    baked: Project, baked_copy: Project, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    project = baked_copy
    env: dict[str, str] = {}
    if project.needs_server:
        request.getfixturevalue("postgres")
    if project.combination.use_alembic:
        if project.needs_server:
            # A database of this run, at head before the revision; the session drops it.
            name = project.database_name("cli")
            assert project.admin("create", name) == [name]
            env["DATABASE_URL"] = project.databases.url(name)
        else:
            env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'recipe.db'}"

    # mypy's cache of the baked project, when it has one, spares a cold run (~10 s); mypy
    # re-checks whatever the recipe changed and whatever depends on it.
    if (baked.path / ".mypy_cache").is_dir():
        shutil.copytree(baked.path / ".mypy_cache", project.path / ".mypy_cache")

    steps = steps_for(project)
    for step in steps:
        step.apply(project, env)
    for check in CHECKS:
        extra = ("-q", "-p", "no:cacheprovider") if check.endswith("pytest") else ()
        uv_run(project, " ".join((check, *extra)), {})

    # Every file the recipe touched is one its steps name, and each named file was touched.
    named = {
        str(path_of(project, name).relative_to(project.path)) + ("/" if name.endswith("/") else "")
        for step in steps
        for name in step.files
    }
    changed = changed_files(project, baked)
    folders = {name for name in named if name.endswith("/")}
    assert {f for f in changed if not any(f.startswith(d) for d in folders)} == named - folders
    for folder in folders:
        assert any(f.startswith(folder) for f in changed), folder
