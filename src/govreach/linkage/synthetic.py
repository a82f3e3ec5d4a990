"""Seeded pairs of noisy person registries with known truth, for linkage tests and benchmarks.

`make_registry_pair` draws N persons and writes two copies with the defects real registries show
(name typos, missing national ids, swapped day and month, stale addresses, missing phones). It is
a small stand-in for `govreach.population`, which generates full country populations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

GIVEN_NAMES = (  # noqa: SIM905 - a word list reads better as prose
    "Maria Ana Joana Beatriz Mariana Ines Sofia Catarina Rita Sara Carla Patricia Sandra Paula "
    "Teresa Helena Isabel Filipa Marta Rosa Fernanda Luisa Cristina Margarida Leonor Matilde "
    "Carolina Lara Francisca Diana Alice Clara Eva Iris Vera Sonia Raquel Susana Lucia Graca "
    "Joao Jose Antonio Manuel Francisco Pedro Luis Carlos Paulo Miguel Rui Tiago Nuno Ricardo "
    "Jorge Andre Bruno Diogo Rafael Goncalo Duarte Tomas Martim Rodrigo Afonso Vasco Hugo Sergio "
    "Fernando Vitor Armando Alberto Mario Fabio Daniel Henrique Gabriel Samuel Simao Vicente "
    "Lourenco"
).split()
FAMILY_NAMES = (  # noqa: SIM905 - a word list reads better as prose
    "Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Jesus Sousa Fernandes "
    "Goncalves Gomes Lopes Marques Alves Almeida Ribeiro Pinto Carvalho Teixeira Moreira Correia "
    "Mendes Nunes Soares Vieira Monteiro Cardoso Rocha Raposo Neves Coelho Cruz Cunha Pires "
    "Ramos Reis Simoes Antunes Matos Fonseca Machado Araujo Barbosa Tavares Lourenco Castro "
    "Figueiredo Azevedo Freitas Amaral Baptista Campos Dias Duarte Esteves Faria Guerreiro "
    "Henriques Leal Lima Loureiro Magalhaes Miranda Morais Moura Nascimento Paiva Quintas Rebelo "
    "Sampaio Seabra Torres Valente Vaz Xavier"
).split()
STREETS = (  # noqa: SIM905 - a word list reads better as prose
    "Rua da Liberdade|Avenida da Republica|Rua do Carmo|Travessa do Sol|Largo da Igreja|Rua Nova|"
    "Rua de Santo Antonio|Avenida dos Aliados|Rua das Flores|Rua do Comercio|Estrada Nacional|"
    "Rua da Escola|Rua do Mercado|Praceta do Rossio|Rua Direita|Rua de Baixo|Calcada do Combro|"
    "Rua 25 de Abril|Avenida da Boavista|Rua do Rosario"
).split("|")
LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


@dataclass(frozen=True)
class DefectRates:
    """Share of records in each copy affected by each defect (independently drawn per copy)."""

    name_typo: float = 0.05
    missing_national_id: float = 0.10
    swapped_day_month: float = 0.03
    stale_address: float = 0.10
    missing_phone: float = 0.05


@dataclass(frozen=True)
class RegistryPair:
    """Two registries with the standard person columns and the truth (`dataset, record_id, person_id`)."""

    left: pa.Table
    right: pa.Table
    truth: pa.Table
    left_dataset: str = "left"
    right_dataset: str = "right"


def _typo(word: str, rng: np.random.Generator) -> str:
    """One keyboard-style error: substitution, deletion, insertion or transposition of letters."""
    if len(word) < 3:
        return word + str(rng.choice(LETTERS))
    pos = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(4))
    letter = str(rng.choice(LETTERS))
    if kind == 0:
        return word[:pos] + letter + word[pos + 1 :]
    if kind == 1:
        return word[:pos] + word[pos + 1 :]
    if kind == 2:
        return word[:pos] + letter + word[pos:]
    return word[: pos - 1] + word[pos] + word[pos - 1] + word[pos + 1 :]


def _addresses(n: int, rng: np.random.Generator) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.str_]]:
    streets = np.array(STREETS)[rng.integers(len(STREETS), size=n)]
    numbers = rng.integers(1, 300, size=n).astype(str)
    towns = rng.integers(1000, 9999, size=n)
    address = np.char.add(np.char.add(streets, " "), numbers)
    address = np.char.add(np.char.add(address, ", Localidade "), towns.astype(str))
    postcode = np.char.add(
        np.char.add(towns.astype(str), "-"), np.char.zfill(rng.integers(0, 999, size=n).astype(str), 3)
    )
    return address, postcode


def _noisy_copy(
    persons: dict[str, npt.NDArray[np.object_]],
    *,
    prefix: str,
    rates: DefectRates,
    rng: np.random.Generator,
) -> tuple[pa.Table, npt.NDArray[np.int64]]:
    n = len(persons["person_id"])
    order = rng.permutation(n)
    cols = {key: values[order].copy() for key, values in persons.items()}

    typo_rows = np.flatnonzero(rng.random(n) < rates.name_typo)
    in_family = rng.random(len(typo_rows)) < 0.5
    for row, family in zip(typo_rows, in_family, strict=True):
        key = "family_name" if family else "given_name"
        cols[key][row] = _typo(str(cols[key][row]), rng)

    national_id = cols["national_id"].astype(object)
    national_id[rng.random(n) < rates.missing_national_id] = None

    birth = cols["birth_date"].astype("datetime64[D]")
    years = birth.astype("datetime64[Y]")
    months = (birth.astype("datetime64[M]") - years.astype("datetime64[M]")).astype(int) + 1
    days = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    swap = (rng.random(n) < rates.swapped_day_month) & (days <= 12) & (days != months)
    swapped = (years[swap].astype("datetime64[M]") + (days[swap] - 1).astype("timedelta64[M]")).astype(
        "datetime64[D]"
    ) + (months[swap] - 1).astype("timedelta64[D]")
    birth[swap] = swapped

    stale = rng.random(n) < rates.stale_address
    new_address, new_postcode = _addresses(int(stale.sum()), rng)
    cols["address"][stale] = new_address
    cols["postcode"][stale] = new_postcode

    phone = cols["phone"].astype(object)
    phone[rng.random(n) < rates.missing_phone] = None

    record_id = np.char.add(prefix, np.arange(n).astype(str))
    table = pa.table(
        {
            "record_id": pa.array(record_id, pa.string()),
            "national_id": pa.array(national_id, pa.string()),
            "given_name": pa.array(cols["given_name"], pa.string()),
            "family_name": pa.array(cols["family_name"], pa.string()),
            "birth_date": pa.array(birth, pa.date32()),
            "sex": pa.array(cols["sex"], pa.string()),
            "address": pa.array(cols["address"], pa.string()),
            "postcode": pa.array(cols["postcode"], pa.string()),
            "area_code": pa.array(cols["area_code"], pa.string()),
            "phone": pa.array(phone, pa.string()),
        }
    )
    return table, cols["person_id"].astype(np.int64)


def make_registry_pair(n_persons: int, *, seed: int = 0, rates: DefectRates | None = None) -> RegistryPair:
    """Draw `n_persons` people and two independently damaged, shuffled copies of them.

    Every person appears once in each copy, so the true pairs are exactly the records that share
    a `person_id` in `truth`. The same seed gives the same tables.
    """
    rates = rates or DefectRates()
    rng = np.random.default_rng(seed)
    n = n_persons
    given = np.array(GIVEN_NAMES, dtype=object)[rng.integers(len(GIVEN_NAMES), size=n)]
    family_a = np.array(FAMILY_NAMES, dtype=object)[rng.integers(len(FAMILY_NAMES), size=n)]
    family_b = np.array(FAMILY_NAMES, dtype=object)[rng.integers(len(FAMILY_NAMES), size=n)]
    family = np.char.add(np.char.add(family_a.astype(str), " "), family_b.astype(str)).astype(object)
    birth = np.datetime64("1930-01-01") + rng.integers(0, 365 * 78, size=n).astype("timedelta64[D]")
    address, postcode = _addresses(n, rng)
    phone = np.char.add("+3519", np.char.zfill(rng.integers(0, 10**8, size=n).astype(str), 8))
    national_id = np.char.zfill(rng.choice(10**9 - 10**8, size=n, replace=False).astype(str), 9)
    persons: dict[str, npt.NDArray[np.object_]] = {
        "person_id": np.arange(n).astype(object),
        "national_id": national_id.astype(object),
        "given_name": given,
        "family_name": family,
        "birth_date": birth.astype(object),
        "sex": np.array(["F", "M"], dtype=object)[rng.integers(2, size=n)],
        "address": address.astype(object),
        "postcode": postcode.astype(object),
        "area_code": np.char.add("PT", np.char.zfill(rng.integers(0, 3000, size=n).astype(str), 4)).astype(
            object
        ),
        "phone": phone.astype(object),
    }
    left, left_person = _noisy_copy(persons, prefix="L", rates=rates, rng=rng)
    right, right_person = _noisy_copy(persons, prefix="R", rates=rates, rng=rng)
    truth = pa.table(
        {
            "dataset": pa.array(["left"] * n + ["right"] * n, pa.string()),
            "record_id": pa.concat_arrays(
                [left.column("record_id").combine_chunks(), right.column("record_id").combine_chunks()]
            ),
            "person_id": pa.array(np.concatenate([left_person, right_person]).astype(str), pa.string()),
        }
    )
    return RegistryPair(left=left, right=right, truth=truth)
