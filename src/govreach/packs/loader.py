"""Load a service pack from its folder, validate it whole, and report every problem with its place.

A problem names the file, the line, the field and the fix. An unknown field suggests the nearest
known one; an unknown name in a rule lists the names that exist.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from govreach.packs import schema
from govreach.packs.yamlpos import Located, YamlSyntaxError, load_located
from govreach.rules import ast
from govreach.rules.errors import RuleError
from govreach.rules.model import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMBER,
    TEXT,
    Criterion,
    Decision,
    Definition,
    FieldSpec,
    Group,
    InputSchema,
    Output,
    Parameter,
    ParameterValue,
    RuleSet,
)
from govreach.rules.parser import parse_expression
from govreach.rules.text import placeholders

KNOWN_ENTRIES = {
    "service.yaml", "parameters.yaml", "rules.yaml", "tests", "forms", "workflow.yaml", "messages", "data",
    "outreach.yaml", "programme.yaml", "README.md", "CHANGELOG.md", "versions",
}  # fmt: skip
VERSIONS_DIR = "versions"
VERSION_FILE = "version.yaml"
# What a version folder may hold: it overlays the pack's parameters, rules and tests, nothing else.
VERSION_ENTRIES = {VERSION_FILE, "parameters.yaml", "rules.yaml", "tests", "README.md"}


@dataclass(frozen=True)
class PackProblem:
    """One thing wrong in a pack, located for the person who must fix it."""

    file: str
    line: int | None
    field: str
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field_ = f" {self.field}:" if self.field else ""
        fix = f"\n    fix: {self.fix}" if self.fix else ""
        return f"{where}:{field_} {self.message}{fix}"


class PackInvalid(Exception):
    """The pack cannot be loaded; ``problems`` lists everything wrong, not just the first thing."""

    def __init__(self, path: Path, problems: list[PackProblem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s)\n" + "\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Pack:
    """A loaded, checked service pack."""

    path: Path
    service: schema.ServiceFile
    ruleset: RuleSet
    tests: dict[str, list[schema.TestCase]]
    digest: str
    languages: tuple[str, ...] = field(default=())
    forms: dict[str, Any] = field(default_factory=dict)  # forms/*.yaml by form id (govreach.packs.forms)
    workflow: Any = None  # workflow.yaml (govreach.packs.workflow), None when the pack has none
    messages: dict[str, Any] = field(default_factory=dict)  # messages/<lang>.yaml (govreach.packs.messages)
    outreach: Any = None  # outreach.yaml (govreach.packs.outreach)
    programme: Any = None  # programme.yaml (govreach.packs.programme)
    # Set when this is a version kept under versions/<version>/ rather than the pack's own files.
    version_dir: Path | None = None
    version_summary: dict[str, str] = field(default_factory=dict)
    on_rollback: str = "keep_until_review"

    @property
    def id(self) -> str:
        return self.service.id

    @property
    def version(self) -> str:
        return self.service.version

    def title(self, language: str) -> str:
        return text_in(self.service.title, language)


def text_in(texts: dict[str, str] | None, language: str) -> str:
    """The text in ``language``, else in the same base language, else English, else any."""
    if not texts:
        return ""
    if language in texts:
        return texts[language]
    base = language.split("-")[0]
    for lang, text in texts.items():
        if lang.split("-")[0] == base:
            return text
    return texts.get("en") or next(iter(texts.values()))


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _alternatives(annotation: Any) -> list[Any]:
    """``X | None`` -> [X]; ``Annotated[X, ...]`` -> [X]; anything else -> [it]."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _alternatives(typing.get_args(annotation)[0])
    if isinstance(annotation, types.UnionType) or origin is typing.Union:
        return [alt for a in typing.get_args(annotation) if a is not type(None) for alt in _alternatives(a)]
    return [annotation]


def _known_fields(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """Field names (aliases first) of the model(s) found at ``loc`` inside ``model``."""
    current: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for annotation in current:
            for a in _alternatives(annotation):
                origin = typing.get_origin(a)
                if origin is dict:
                    following.append(typing.get_args(a)[1])
                elif origin is list and isinstance(part, int):
                    following.append(typing.get_args(a)[0])
                elif isinstance(a, type) and issubclass(a, BaseModel) and isinstance(part, str):
                    name = _alias_of(a, part) or part
                    if name in a.model_fields:
                        following.append(a.model_fields[name].annotation)
        current = following
    names: list[str] = []
    for annotation in current:
        for a in _alternatives(annotation):
            if isinstance(a, type) and issubclass(a, BaseModel):
                names.extend(info.alias or name for name, info in a.model_fields.items())
    return names


def _alias_of(model: type[BaseModel], alias: str) -> str | None:
    for name, info in model.model_fields.items():
        if info.alias == alias:
            return name
    return None


def _pydantic_problems(
    exc: ValidationError,
    file: str,
    located: Located,
    model: type[BaseModel] | None,
    prefix: tuple[str | int, ...] = (),
) -> list[PackProblem]:
    problems: list[PackProblem] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors():
        loc = tuple(
            p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in ("str", "function-after")))
        )
        full = (*prefix, *loc)
        kind = err["type"]
        message, fix = err["msg"], None
        if kind == "extra_forbidden":
            known = _known_fields(model, loc[:-1]) if model is not None else []
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            message = f"unknown field '{loc[-1]}'"
            fix = (
                f"did you mean '{close[0]}'?"
                if close
                else (f"known fields: {', '.join(known)}" if known else None)
            )
        elif kind == "missing":
            message = f"the field '{loc[-1]}' is required"
            fix = f"add '{loc[-1]}:'"
        elif kind == "string_pattern_mismatch":
            fix = _pattern_fix(str(loc[-1]) if loc else "")
        elif kind == "literal_error":
            fix = f"use one of {err.get('ctx', {}).get('expected', '')}"
        key = (_dotted(full), message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(PackProblem(file, located.line_of(full), _dotted(full), message, fix))
    return problems


def _pattern_fix(field_name: str) -> str:
    return {
        "id": "use lower-case words joined by '-' (packs) or '_' (criteria), e.g. 'small_domestic_contract'",
        "version": "use MAJOR.MINOR.PATCH, e.g. 1.2.0",
        "country": "use the ISO 3166-1 alpha-2 code, e.g. PT",
    }.get(field_name, "see `govreach packs schema` for the allowed form")


def _infer_type(values: list[Any]) -> str | None:
    kinds: set[str] = set()
    for v in values:
        if isinstance(v, bool):
            kinds.add(BOOLEAN)
        elif isinstance(v, int):
            kinds.add(INTEGER)
        elif isinstance(v, float):
            kinds.add(NUMBER)
        elif isinstance(v, str):
            kinds.add(TEXT)
        elif isinstance(v, dt.date):
            kinds.add(DATE)
        elif isinstance(v, list):
            inner = _infer_type(v) if v else TEXT
            kinds.add(f"list[{inner}]" if inner else "?")
        else:
            kinds.add("?")
    if kinds <= {INTEGER, NUMBER} and kinds:
        return NUMBER if NUMBER in kinds else INTEGER
    if kinds <= {"list[integer]", "list[number]"} and kinds:
        return "list[number]" if "list[number]" in kinds else "list[integer]"
    return kinds.pop() if len(kinds) == 1 and "?" not in kinds else None


class _PackBuilder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[PackProblem] = []
        self.files: dict[str, Located] = {}

    def problem(self, file: str, at: tuple[str | int, ...], message: str, fix: str | None = None) -> None:
        located = self.files.get(file)
        line = located.line_of(at) if located else None
        self.problems.append(PackProblem(f"{self.path.name}/{file}", line, _dotted(at), message, fix))

    def require_texts(
        self,
        file: str,
        at: tuple[str | int, ...],
        texts: Mapping[str, str] | None,
        languages: tuple[str, ...],
    ) -> None:
        """Report a text that lacks one of the pack's languages (None: the text is optional and absent)."""
        if texts is None:
            return
        missing = [lang for lang in languages if lang not in texts]
        if missing:
            self.problem(
                file,
                at,
                f"no text in {', '.join(missing)}",
                f"add {missing[0]}: ... (the pack's languages: {', '.join(languages)})",
            )

    def area_levels(self) -> list[str] | None:
        """The area levels service.yaml names (top first), read even when service.yaml is invalid."""
        located = self.files.get("service.yaml")
        data = located.data if located is not None else None
        levels = data.get("area_levels") if isinstance(data, dict) else None
        return [str(level) for level in levels] if isinstance(levels, list) else None

    def load(self, file: str, required: bool = True) -> Located | None:
        p = self.path / file
        if not p.exists():
            if required:
                self.problems.append(
                    PackProblem(f"{self.path.name}/{file}", None, "", "the file is missing", f"create {file}")
                )
            return None
        try:
            located = load_located(p)
        except YamlSyntaxError as exc:
            self.problems.append(PackProblem(f"{self.path.name}/{file}", exc.line, "", f"YAML syntax: {exc}"))
            return None
        self.files[file] = located
        return located

    def validate(self, file: str, model: type[BaseModel], located: Located) -> Any:
        try:
            return model.model_validate(located.data if located.data is not None else {})
        except ValidationError as exc:
            for p in _pydantic_problems(exc, f"{self.path.name}/{file}", located, model):
                self.problems.append(p)
            return None


def _texts(t: dict[str, str] | None) -> dict[str, str]:
    return dict(t) if t else {}


def load_pack(path: Path | str, *, version: str | None = None) -> Pack:
    """Load and check the pack in folder ``path``; raise PackInvalid listing every problem.

    ``version`` names a version kept under ``versions/<version>/`` (the pack's own files when it is
    None or the version of service.yaml).
    """
    pack, problems = _load(Path(path), version)
    if problems or pack is None:
        raise PackInvalid(Path(path), problems)
    return pack


def pack_versions(path: Path | str) -> list[str]:
    """The versions kept under ``versions/`` of the pack in ``path`` (folder names, sorted)."""
    folder = Path(path) / VERSIONS_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def check_pack(path: Path | str) -> list[PackProblem]:
    """Every problem of the pack in ``path`` and of each version it keeps (empty when all are sound)."""
    problems = _load(Path(path))[1]
    seen = {str(p) for p in problems}
    for version in pack_versions(path):
        # A problem in the pack's own files shows once, not once more for every version that reads them.
        problems += [p for p in _load(Path(path), version)[1] if str(p) not in seen]
        seen |= {str(p) for p in problems}
    return problems


def _version_problems(b: _PackBuilder, path: Path, version: str) -> schema.VersionFile | None:
    """Read ``versions/<version>/version.yaml`` and check what the folder holds."""
    rel = f"{VERSIONS_DIR}/{version}"
    folder = path / rel
    if not folder.is_dir():
        known = ", ".join(pack_versions(path)) or "none"
        b.problems.append(
            PackProblem(f"{path.name}/{rel}", None, "", f"no version {version}", f"kept versions: {known}")
        )
        return None
    for entry in sorted(folder.iterdir()):
        if entry.name not in VERSION_ENTRIES and not entry.name.startswith("."):
            b.problems.append(
                PackProblem(
                    f"{path.name}/{rel}/{entry.name}", None, "", "unknown file in a pack version",
                    "a version holds " + ", ".join(sorted(VERSION_ENTRIES)),
                )
            )  # fmt: skip
    doc = b.load(f"{rel}/{VERSION_FILE}")
    parsed = b.validate(f"{rel}/{VERSION_FILE}", schema.VersionFile, doc) if doc else None
    if isinstance(parsed, schema.VersionFile) and parsed.version != version:
        b.problem(
            f"{rel}/{VERSION_FILE}",
            ("version",),
            f"the folder is {version} but the file says {parsed.version}",
            f"rename the folder to {parsed.version} or write version: {version}",
        )
    return parsed if isinstance(parsed, schema.VersionFile) else None


def _files_digest(digest: Any, root: Path, files_root: Path, *, skip_versions: bool) -> None:
    for f in sorted(files_root.rglob("*")):
        rel = f.relative_to(root)
        if not f.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if skip_versions and rel.parts[0] == VERSIONS_DIR:
            continue
        digest.update(str(rel).encode())
        digest.update(f.read_bytes())


def _load(path: Path, version: str | None = None) -> tuple[Pack | None, list[PackProblem]]:
    b = _PackBuilder(path)
    if not path.is_dir():
        return None, [
            PackProblem(str(path), None, "", "not a pack folder", "give the folder that holds service.yaml")
        ]
    for entry in sorted(path.iterdir()):
        if entry.name not in KNOWN_ENTRIES and not entry.name.startswith("."):
            close = difflib.get_close_matches(entry.name, sorted(KNOWN_ENTRIES), n=1)
            b.problems.append(
                PackProblem(
                    f"{path.name}/{entry.name}", None, "", "unknown file in a pack",
                    f"did you mean '{close[0]}'?" if close else "a pack holds " + ", ".join(sorted(KNOWN_ENTRIES)),  # noqa: E501
                )
            )  # fmt: skip

    service_doc = b.load("service.yaml")
    service = b.validate("service.yaml", schema.ServiceFile, service_doc) if service_doc else None
    overlay: Path | None = None
    version_file: schema.VersionFile | None = None
    if version is not None and service is not None and version == service.version:
        version = None  # the pack's own files are that version
    if version is not None:
        overlay = path / VERSIONS_DIR / version
        version_file = _version_problems(b, path, version)
        if service is not None:
            service = service.model_copy(update={"version": version})
    overlay_rel = f"{VERSIONS_DIR}/{version}" if version is not None else ""
    languages: tuple[str, ...] = tuple(service.languages) if service else _raw_languages(service_doc)

    def require_languages(file: str, at: tuple[str | int, ...], texts: dict[str, str] | None) -> None:
        b.require_texts(file, at, texts, languages)

    if service is not None:
        require_languages("service.yaml", ("title",), service.title)
        require_languages("service.yaml", ("summary",), service.summary)
    if version_file is not None:
        require_languages(f"{overlay_rel}/{VERSION_FILE}", ("summary",), version_file.summary)

    # parameters.yaml (then the version's parameters.yaml, whose entries replace the pack's whole)
    parameters: dict[str, Parameter] = {}
    params_broken = False
    for params_file in ("parameters.yaml", f"{overlay_rel}/parameters.yaml" if overlay_rel else None):
        if params_file is None:
            continue
        params_doc = b.load(params_file, required=False)
        params_broken = params_broken or (params_doc is None and (path / params_file).exists())
        if params_doc is not None:
            parameters.update(_read_parameters(b, path, params_file, params_doc, require_languages))

    # rules.yaml
    rules_file = "rules.yaml"
    if overlay is not None and (overlay / "rules.yaml").exists():
        rules_file = f"{overlay_rel}/rules.yaml"
    rules_doc = b.load(rules_file)
    rules = b.validate(rules_file, schema.RulesFile, rules_doc) if rules_doc else None
    ruleset: RuleSet | None = None
    node_paths: dict[str, tuple[str | int, ...]] = {}
    if service is None and service_doc is not None and isinstance(service_doc.data, dict):
        # Still check the rules against what service.yaml says, so one run reports everything.
        raw = service_doc.data
        service = schema.ServiceFile.model_construct(
            id=str(raw.get("id", path.name)),
            version=str(raw.get("version", "0.0.0")),
            unit=raw.get("unit") if raw.get("unit") in ("household", "person") else "household",
            decision=str(raw.get("decision", "")),
            languages=list(languages),
        )
        service_valid = False
    else:
        service_valid = service is not None
    if rules is not None and service is not None and not params_broken:
        ruleset = _build_ruleset(b, service, rules, parameters, node_paths, require_languages, rules_file)
    if ruleset is not None and service is not None:
        _check_valuation(b, service, ruleset)

    # tests/*.yaml
    tests: dict[str, list[schema.TestCase]] = {}
    tests_dir = path / "tests"
    tests_prefix = "tests"
    if overlay is not None and (overlay / "tests").is_dir():
        # A version's own cases replace the pack's: the pack's cases state today's law.
        tests_dir, tests_prefix = overlay / "tests", f"{overlay_rel}/tests"
    if tests_dir.is_dir():
        for test_file in sorted(tests_dir.glob("*.y*ml")):
            rel = f"{tests_prefix}/{test_file.name}"
            doc = b.load(rel)
            if doc is None:
                continue
            parsed = b.validate(rel, schema.TestsFile, doc)
            if parsed is None:
                continue
            tests[rel] = list(parsed.cases)
            if ruleset is not None:
                _check_test_names(b, rel, parsed, ruleset)

    from govreach.packs.forms import load_forms
    from govreach.packs.messages import load_messages
    from govreach.packs.outreach import load_outreach
    from govreach.packs.programme import load_programme
    from govreach.packs.workflow import load_workflow

    forms = load_forms(b, path, ruleset, languages)
    workflow = load_workflow(b, path, ruleset, languages)
    messages = load_messages(b, path, languages)
    outreach = load_outreach(b, path, ruleset, languages)
    programme = load_programme(b, path, ruleset, languages)

    # The pack's digest leaves out versions/: proposing a version does not change the one in force.
    digest = hashlib.sha256()
    _files_digest(digest, path, path, skip_versions=True)
    if overlay is not None and overlay.is_dir():
        _files_digest(digest, path, overlay, skip_versions=False)
    if b.problems or service is None or not service_valid or ruleset is None:
        return None, b.problems
    if version is not None and version_file is None:
        return None, b.problems
    pack = Pack(
        path,
        service,
        ruleset,
        tests,
        digest.hexdigest(),
        languages,
        forms,
        workflow,
        messages,
        outreach,
        programme,
        version_dir=overlay,
        version_summary=dict(version_file.summary) if version_file else {},
        on_rollback=(
            version_file.on_rollback if version_file and version_file.on_rollback else service.on_rollback
        ),
    )
    return pack, []


def _check_valuation(b: _PackBuilder, service: schema.ServiceFile, ruleset: RuleSet) -> None:
    for decision, valuation in service.valuation.items():
        if decision not in ruleset.decisions:
            b.problem("service.yaml", ("valuation", decision), f"no decision '{decision}'")
        param = ruleset.parameters.get(valuation.annual_value_eur)
        if param is None or param.type not in (NUMBER, INTEGER):
            b.problem(
                "service.yaml",
                ("valuation", decision, "annual_value_eur"),
                f"'{valuation.annual_value_eur}' is not a number parameter",
                "name a parameter of parameters.yaml whose values are EUR a year",
            )


def _read_parameters(
    b: _PackBuilder, path: Path, file: str, params_doc: Located, require_languages: Any
) -> dict[str, Parameter]:
    """The parameters of one parameters.yaml, each with its dated values."""
    parameters: dict[str, Parameter] = {}
    if params_doc.data is not None and not isinstance(params_doc.data, dict):
        b.problem(
            file,
            (),
            "expected a mapping of parameter names",
            "write name: {description, values}",
        )
    for name, raw in (params_doc.data or {}).items() if isinstance(params_doc.data, dict) else []:
        try:
            ident = TypeAdapter(schema.Identifier).validate_python(name)
            spec = schema.ParameterSpec.model_validate(raw)
        except ValidationError as exc:
            b.problems.extend(
                _pydantic_problems(exc, f"{path.name}/{file}", params_doc, schema.ParameterSpec, (name,))
            )
            continue
        require_languages(file, (name, "description"), spec.description)
        if isinstance(spec.values, dict):
            entries = [ParameterValue(d, v, None) for d, v in sorted(spec.values.items())]
        else:
            entries = sorted(
                (ParameterValue(e.valid_from, e.value, e.reference) for e in spec.values),
                key=lambda v: v.valid_from,
            )
        dates = [e.valid_from for e in entries]
        if len(set(dates)) != len(dates):
            b.problem(
                file,
                (name, "values"),
                "two values start on the same date",
                "keep one value per date",
            )
        inferred = _infer_type([e.value for e in entries])
        type_ = spec.type or inferred
        if type_ is None:
            b.problem(
                file,
                (name, "values"),
                "the values do not share one type",
                "give every value the same type, or set 'type:'",
            )
            continue
        if (
            spec.type
            and inferred
            and not (
                spec.type == inferred
                or (spec.type == NUMBER and inferred == INTEGER)
                or (spec.type == "list[number]" and inferred == "list[integer]")
            )
        ):
            b.problem(file, (name, "type"), f"declared {spec.type} but the values are {inferred}")
        if type_ == NUMBER:
            entries = [ParameterValue(e.valid_from, float(e.value), e.reference) for e in entries]  # type: ignore[arg-type]
        parameters[ident] = Parameter(
            name=ident, type=type_, values=tuple(entries), description=_texts(spec.description),
            unit=spec.unit, reference=spec.reference, reference_url=spec.url,
        )  # fmt: skip
    return parameters


def _raw_languages(doc: Located | None) -> tuple[str, ...]:
    """The languages an invalid service.yaml still names, so that one mistake there does not make every
    translation in the pack look wrong too."""
    raw = doc.data.get("languages") if doc is not None and isinstance(doc.data, dict) else None
    if isinstance(raw, list) and raw and all(isinstance(lang, str) for lang in raw):
        return tuple(raw)
    return ("en",)


def _check_test_names(b: _PackBuilder, rel: str, parsed: schema.TestsFile, ruleset: RuleSet) -> None:
    ids = {node.id for _d, node, _ in ruleset.criteria()}
    for i, case in enumerate(parsed.cases):
        for name in case.expect.decisions:
            if name not in ruleset.decisions:
                b.problem(
                    rel,
                    ("cases", i, "expect", "decisions", name),
                    f"no decision '{name}'",
                    f"decisions: {', '.join(ruleset.decisions)}",
                )
        for cid in case.expect.criteria:
            if cid not in ids:
                close = difflib.get_close_matches(cid, sorted(ids), n=1)
                b.problem(
                    rel,
                    ("cases", i, "expect", "criteria", cid),
                    f"no criterion '{cid}'",
                    f"did you mean '{close[0]}'?" if close else None,
                )
        for name in case.expect.outputs:
            if name not in ruleset.outputs:
                b.problem(rel, ("cases", i, "expect", "outputs", name), f"no output '{name}'")


def _build_ruleset(
    b: _PackBuilder,
    service: schema.ServiceFile,
    rules: schema.RulesFile,
    parameters: dict[str, Parameter],
    node_paths: dict[str, tuple[str | int, ...]],
    require_languages: Any,
    file: str = "rules.yaml",
) -> RuleSet | None:
    problems_before = len(b.problems)

    def field_spec(name: str, raw: schema.InputField | str) -> FieldSpec:
        if isinstance(raw, str):
            return FieldSpec(name, raw)
        return FieldSpec(
            name, raw.type, _texts(raw.description), raw.unit, tuple(raw.values) if raw.values else None
        )

    unit_fields = {n: field_spec(n, f) for n, f in rules.inputs.unit.items()}
    member_fields = {n: field_spec(n, f) for n, f in rules.inputs.members.items()}
    if service.unit == "person" and member_fields:
        b.problem(
            file,
            ("inputs", "members"),
            "a person-level service has no members",
            "set unit: household in service.yaml or remove inputs.members",
        )

    def parse(at: tuple[str | int, ...], text: str) -> ast.Expr | None:
        try:
            return parse_expression(text)
        except RuleError as exc:
            b.problem(
                file, at, f"{exc.message}" + (f" (at character {exc.column})" if exc.column else ""), exc.fix
            )
            return None

    definitions: dict[str, Definition] = {}
    for name, raw in rules.definitions.items():
        text, desc = (raw, None) if isinstance(raw, str) else (raw.expr, raw.description)
        expr = parse(("definitions", name), text)
        if expr is not None:
            definitions[name] = Definition(name, text, expr, _texts(desc))
    outputs: dict[str, Output] = {}
    for name, raw in rules.outputs.items():
        text, desc = (raw, None) if isinstance(raw, str) else (raw.expr, raw.description)
        expr = parse(("outputs", name), text)
        if expr is not None:
            outputs[name] = Output(name, text, expr, _texts(desc))

    def build_node(spec: schema.CriterionSpec, at: tuple[str | int, ...]) -> Criterion | Group | None:
        node_paths[spec.id] = at
        for key in ("title", "because", "because_not"):
            require_languages(file, (*at, key), getattr(spec, key))
        if spec.when is not None:
            expr = parse((*at, "when"), spec.when)
            if expr is None:
                return None
            return Criterion(
                spec.id,
                spec.when,
                expr,
                spec.reference,
                spec.url,
                _texts(spec.title),
                _texts(spec.because),
                _texts(spec.because_not),
            )
        mode: typing.Literal["all", "any"] = "all" if spec.all is not None else "any"
        children_specs = spec.all if spec.all is not None else spec.any or []
        children = [build_node(c, (*at, mode, i)) for i, c in enumerate(children_specs)]
        if any(c is None for c in children):
            return None
        return Group(
            spec.id,
            mode,
            tuple(c for c in children if c is not None),
            spec.reference,
            spec.url,
            _texts(spec.title),
            _texts(spec.because),
            _texts(spec.because_not),
        )

    decisions: dict[str, Decision] = {}
    for name, dspec in rules.decisions.items():
        at: tuple[str | int, ...] = ("decisions", name)
        mode = "all" if dspec.all is not None else "any"
        group_spec = schema.CriterionSpec.model_validate(
            {"id": name,
             mode: [c.model_dump(by_alias=True, exclude_none=True) for c in (dspec.all or dspec.any or [])],
             **({"title": dspec.title} if dspec.title else {}),
             **({"because": dspec.because} if dspec.because else {}),
             **({"because_not": dspec.because_not} if dspec.because_not else {})}
        )  # fmt: skip
        root = build_node(group_spec, at)
        node_paths[name] = at
        if isinstance(root, Group):
            decisions[name] = Decision(name, root, _texts(dspec.title))
    if len(b.problems) > problems_before or not decisions:
        return None  # names and types are only worth checking once every expression parses
    rs = RuleSet(
        id=service.id,
        version=service.version,
        inputs=InputSchema(service.unit, unit_fields, member_fields),
        parameters=parameters,
        definitions=definitions,
        decisions=decisions,
        outputs=outputs,
        main=service.decision,
    )
    for where, exc in rs.check():
        if where[0] == "decisions" and len(where) == 3:
            at = node_paths.get(where[2], where[:2])
            at = (*at, "when") if where[2] in node_paths and where[2] not in rules.decisions else at
        else:
            at = where
        msg = exc.message if isinstance(exc, RuleError) else str(exc)
        column = exc.column if isinstance(exc, RuleError) else None
        b.problem(
            file,
            at,
            msg + (f" (at character {column})" if column else ""),
            exc.fix if isinstance(exc, RuleError) else None,
        )
    # because texts may only fill in names the unit level knows
    known = set(unit_fields) | set(parameters) | set(definitions) | {"decision_date", "missing"}
    for _decision, node, _depth in rs.criteria():
        at = node_paths.get(node.id, ("decisions",))
        for key in ("because", "because_not"):
            for lang, text in getattr(node, key).items():
                for name in placeholders(text):
                    if name not in known:
                        close = difflib.get_close_matches(name, sorted(known), n=1)
                        b.problem(
                            file,
                            (*at, key, lang),
                            f"the text fills in '{{{name}}}', which is not a unit fact, parameter or "
                            "definition",
                            f"did you mean '{{{close[0]}}}'?" if close else None,
                        )
    return rs
