"""Area hierarchies of the four reference countries, written to ``areas.csv``.

Country, first- and second-level names and codes are real (NUTS II and ISO 3166-2 for Portugal, BBS
geocodes for Bangladesh, Seoul and Seongdong-gu, IBGE for Pernambuco and Jaboatão); the codes below the
second level, and Portugal's and Bangladesh's parish and union names, are synthetic but stable.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

# (code, name, weight, postcode_prefix, children); leaves have no children.
_Node: TypeAlias = "tuple[str, str, float, str, tuple[_Node, ...]]"


@dataclass(frozen=True)
class AreaTable:
    """A country's areas in depth-first order; ``leaf_*`` arrays describe the smallest areas."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    levels: tuple[str, ...]
    parent_codes: tuple[str | None, ...]
    leaf_codes: tuple[str, ...]
    leaf_names: tuple[str, ...]
    leaf_weights: npt.NDArray[np.float64]
    leaf_postcodes: tuple[str, ...]

    def parent_of(self, code: str) -> str | None:
        """The code of the area directly above ``code`` (None for the country)."""
        return self.parent_codes[self.codes.index(code)]

    def write_csv(self, path: Path) -> None:
        """Write ``code,name,level,parent_code`` with ``\\n`` line ends (byte-stable)."""
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["code", "name", "level", "parent_code"])
            for code, name, level, parent in zip(
                self.codes, self.names, self.levels, self.parent_codes, strict=True
            ):
                writer.writerow([code, name, level, parent or ""])


def _flatten(root: _Node, level_names: tuple[str, ...]) -> AreaTable:
    codes: list[str] = []
    names: list[str] = []
    levels: list[str] = []
    parents: list[str | None] = []
    leaves: list[tuple[str, str, float, str]] = []

    def visit(node: _Node, depth: int, parent: str | None, weight: float) -> None:
        code, name, own_weight, postcode, children = node
        codes.append(code)
        names.append(name)
        levels.append(level_names[depth])
        parents.append(parent)
        share = weight * own_weight
        if not children:
            leaves.append((code, name, share, postcode))
            return
        total = sum(child[2] for child in children)
        for child in children:
            visit(child, depth + 1, code, share / total)

    visit(root, 0, None, 1.0)
    weights = np.array([leaf[2] for leaf in leaves], dtype=np.float64)
    return AreaTable(
        codes=tuple(codes),
        names=tuple(names),
        levels=tuple(levels),
        parent_codes=tuple(parents),
        leaf_codes=tuple(leaf[0] for leaf in leaves),
        leaf_names=tuple(leaf[1] for leaf in leaves),
        leaf_weights=weights / weights.sum(),
        leaf_postcodes=tuple(leaf[3] for leaf in leaves),
    )


# --- Portugal: country > region (NUTS II) > district (ISO 3166-2) > municipality > parish -------------

_PT_PARISH_NAMES = (
    "Sé",
    "São Pedro",
    "Santa Maria",
    "São João Baptista",
    "Santo António",
    "São Sebastião",
    "Nossa Senhora da Conceição",
    "Santiago",
    "São Martinho",
    "São Vicente",
    "Santa Luzia",
    "São Miguel",
)

# district ISO code, name, population (thousands, Census 2021), NUTS II region, municipalities with CP4
_PT_DISTRICTS: tuple[tuple[str, str, float, str, tuple[tuple[str, str], ...]], ...] = (
    ("01", "Aveiro", 700, "PT16", (("Aveiro", "3800"), ("Águeda", "3750"), ("Ovar", "3880"))),
    ("02", "Beja", 144, "PT18", (("Beja", "7800"), ("Moura", "7860"), ("Serpa", "7830"))),
    ("03", "Braga", 848, "PT11", (("Braga", "4700"), ("Guimarães", "4800"), ("Barcelos", "4750"))),
    ("04", "Bragança", 122, "PT11", (("Bragança", "5300"), ("Mirandela", "5370"))),
    ("05", "Castelo Branco", 178, "PT16", (("Castelo Branco", "6000"), ("Covilhã", "6200"))),
    (
        "06",
        "Coimbra",
        421,
        "PT16",
        (("Coimbra", "3000"), ("Figueira da Foz", "3080"), ("Cantanhede", "3060")),
    ),
    ("07", "Évora", 153, "PT18", (("Évora", "7000"), ("Montemor-o-Novo", "7050"), ("Estremoz", "7100"))),
    ("08", "Faro", 467, "PT15", (("Faro", "8000"), ("Loulé", "8100"), ("Portimão", "8500"))),
    ("09", "Guarda", 143, "PT16", (("Guarda", "6300"), ("Seia", "6270"))),
    ("10", "Leiria", 458, "PT16", (("Leiria", "2400"), ("Pombal", "3100"), ("Caldas da Rainha", "2500"))),
    (
        "11",
        "Lisboa",
        2275,
        "PT17",
        (
            ("Lisboa", "1000"),
            ("Sintra", "2710"),
            ("Amadora", "2700"),
            ("Cascais", "2750"),
            ("Loures", "2670"),
            ("Oeiras", "2780"),
        ),
    ),
    ("12", "Portalegre", 104, "PT18", (("Portalegre", "7300"), ("Elvas", "7350"))),
    (
        "13",
        "Porto",
        1787,
        "PT11",
        (
            ("Porto", "4000"),
            ("Vila Nova de Gaia", "4400"),
            ("Matosinhos", "4450"),
            ("Gondomar", "4420"),
            ("Maia", "4470"),
        ),
    ),
    ("14", "Santarém", 425, "PT18", (("Santarém", "2000"), ("Tomar", "2300"), ("Abrantes", "2200"))),
    ("15", "Setúbal", 876, "PT17", (("Setúbal", "2900"), ("Almada", "2800"), ("Seixal", "2840"))),
    ("16", "Viana do Castelo", 231, "PT11", (("Viana do Castelo", "4900"), ("Ponte de Lima", "4990"))),
    ("17", "Vila Real", 185, "PT11", (("Vila Real", "5000"), ("Chaves", "5400"))),
    ("18", "Viseu", 351, "PT16", (("Viseu", "3500"), ("Lamego", "5100"), ("Tondela", "3460"))),
    (
        "20",
        "Região Autónoma dos Açores",
        236,
        "PT20",
        (("Ponta Delgada", "9500"), ("Angra do Heroísmo", "9700")),
    ),
    ("30", "Região Autónoma da Madeira", 251, "PT30", (("Funchal", "9000"), ("Santa Cruz", "9100"))),
)

_PT_REGIONS = (
    ("PT11", "Norte"),
    ("PT16", "Centro"),
    ("PT17", "Área Metropolitana de Lisboa"),
    ("PT18", "Alentejo"),
    ("PT15", "Algarve"),
    ("PT20", "Região Autónoma dos Açores"),
    ("PT30", "Região Autónoma da Madeira"),
)


def _pt() -> AreaTable:
    regions: list[_Node] = []
    for region_code, region_name in _PT_REGIONS:
        districts: list[_Node] = []
        for iso, name, population, region, municipalities in _PT_DISTRICTS:
            if region != region_code:
                continue
            munis: list[_Node] = []
            for m, (muni_name, cp4) in enumerate(municipalities):
                muni_code = f"PT-{iso}{m + 1:02d}"
                parishes: tuple[_Node, ...] = tuple(
                    (
                        f"{muni_code}{p + 1:02d}",
                        _PT_PARISH_NAMES[(m * 5 + p + int(iso)) % len(_PT_PARISH_NAMES)],
                        1.0,
                        f"{int(cp4) + p * 5:04d}",
                        (),
                    )
                    for p in range(4)
                )
                munis.append((muni_code, muni_name, 3.0 if m == 0 else 1.5, cp4, parishes))
            districts.append((f"PT-{iso}", name, population, "", tuple(munis)))
        weight = sum(d[2] for d in districts)
        regions.append((region_code, region_name, weight, "", tuple(districts)))
    return _flatten(
        ("PT", "Portugal", 1.0, "", tuple(regions)),
        ("country", "region", "district", "municipality", "parish"),
    )


# --- Bangladesh: country > division > district > upazila > union (BBS geocodes) -------------------------

_BD_UNION_NAMES = (
    "Rampur",
    "Shibpur",
    "Krishnapur",
    "Gopalpur",
    "Madhabpur",
    "Fatehpur",
    "Chandpur",
    "Sultanpur",
    "Durgapur",
    "Haripur",
    "Jaynagar",
    "Kamalpur",
    "Ramnagar",
    "Nayanpur",
)

# division code, name, population (millions), districts: (code, name, postcode base, upazilas)
_BD_DIVISIONS: tuple[tuple[str, str, float, tuple[tuple[str, str, int, tuple[str, ...]], ...]], ...] = (
    (
        "10",
        "Barishal",
        9.1,
        (
            ("06", "Barishal", 8200, ("Barishal Sadar", "Bakerganj", "Gournadi")),
            ("09", "Bhola", 8300, ("Bhola Sadar", "Char Fasson")),
            ("78", "Patuakhali", 8600, ("Patuakhali Sadar", "Kalapara")),
        ),
    ),
    (
        "20",
        "Chattogram",
        33.2,
        (
            ("15", "Chattogram", 4300, ("Hathazari", "Patiya", "Sitakunda")),
            ("19", "Cumilla", 3500, ("Cumilla Adarsha Sadar", "Daudkandi", "Chauddagram")),
            ("22", "Cox's Bazar", 4700, ("Cox's Bazar Sadar", "Teknaf", "Ukhia")),
        ),
    ),
    (
        "30",
        "Dhaka",
        44.2,
        (
            ("26", "Dhaka", 1300, ("Savar", "Dhamrai", "Keraniganj")),
            ("33", "Gazipur", 1700, ("Gazipur Sadar", "Kaliakair", "Sreepur")),
            ("67", "Narayanganj", 1400, ("Narayanganj Sadar", "Rupganj", "Sonargaon")),
            ("93", "Tangail", 1900, ("Tangail Sadar", "Mirzapur", "Madhupur")),
        ),
    ),
    (
        "40",
        "Khulna",
        17.4,
        (
            ("47", "Khulna", 9200, ("Dumuria", "Batiaghata", "Paikgachha")),
            ("41", "Jashore", 7400, ("Jashore Sadar", "Jhikargachha")),
            ("50", "Kushtia", 7000, ("Kushtia Sadar", "Kumarkhali")),
        ),
    ),
    (
        "45",
        "Mymensingh",
        12.2,
        (
            ("61", "Mymensingh", 2200, ("Mymensingh Sadar", "Trishal", "Muktagachha")),
            ("39", "Jamalpur", 2000, ("Jamalpur Sadar", "Islampur")),
        ),
    ),
    (
        "50",
        "Rajshahi",
        20.4,
        (
            ("81", "Rajshahi", 6200, ("Paba", "Godagari", "Puthia")),
            ("10", "Bogura", 5800, ("Bogura Sadar", "Shibganj", "Sherpur")),
            ("88", "Sirajganj", 6700, ("Sirajganj Sadar", "Ullahpara")),
        ),
    ),
    (
        "55",
        "Rangpur",
        17.6,
        (
            ("85", "Rangpur", 5400, ("Rangpur Sadar", "Mithapukur", "Pirganj")),
            ("27", "Dinajpur", 5200, ("Dinajpur Sadar", "Birganj")),
        ),
    ),
    (
        "60",
        "Sylhet",
        11.0,
        (
            ("91", "Sylhet", 3100, ("Sylhet Sadar", "Beanibazar", "Golapganj")),
            ("58", "Moulvibazar", 3200, ("Moulvibazar Sadar", "Sreemangal", "Kulaura")),
        ),
    ),
)


def _bd() -> AreaTable:
    divisions: list[_Node] = []
    for div_code, div_name, population, districts in _BD_DIVISIONS:
        district_nodes: list[_Node] = []
        for dist_code, dist_name, postcode_base, upazilas in districts:
            upazila_nodes: list[_Node] = []
            for u, upazila in enumerate(upazilas):
                upa_code = f"BD-{div_code}{dist_code}{u * 9 + 11:02d}"
                postcode = f"{postcode_base + u * 10:04d}"
                unions: tuple[_Node, ...] = tuple(
                    (
                        f"{upa_code}{k * 10 + 11:02d}",
                        _BD_UNION_NAMES[(u * 3 + k + int(dist_code)) % len(_BD_UNION_NAMES)],
                        1.0,
                        postcode,
                        (),
                    )
                    for k in range(4)
                )
                upazila_nodes.append((upa_code, upazila, 1.0, postcode, unions))
            district_nodes.append((f"BD-{div_code}{dist_code}", dist_name, 1.0, "", tuple(upazila_nodes)))
        divisions.append((f"BD-{div_code}", div_name, population, "", tuple(district_nodes)))
    return _flatten(
        ("BD", "Bangladesh", 1.0, "", tuple(divisions)),
        ("country", "division", "district", "upazila", "union"),
    )


# --- Korea: country > city > district (Seongdong-gu) > 17 administrative dong --------------------------

KR_DONGS: tuple[tuple[str, float], ...] = (
    ("왕십리제2동", 1.0),
    ("왕십리도선동", 1.1),
    ("마장동", 1.2),
    ("사근동", 0.9),
    ("행당제1동", 1.2),
    ("행당제2동", 1.0),
    ("응봉동", 0.8),
    ("금호1가동", 0.9),
    ("금호2·3가동", 1.1),
    ("금호4가동", 0.8),
    ("옥수동", 1.7),
    ("성수1가제1동", 0.9),
    ("성수1가제2동", 1.0),
    ("성수2가제1동", 1.0),
    ("성수2가제3동", 0.8),
    ("송정동", 0.7),
    ("용답동", 0.8),
)


def _kr() -> AreaTable:
    dongs: tuple[_Node, ...] = tuple(
        (f"KR-11200{510 + 10 * k:03d}", name, weight, f"{4700 + 7 * k:05d}", ())
        for k, (name, weight) in enumerate(KR_DONGS)
    )
    seongdong: _Node = ("KR-11200", "성동구", 1.0, "", dongs)
    seoul: _Node = ("KR-11", "서울특별시", 1.0, "", (seongdong,))
    return _flatten(("KR", "대한민국", 1.0, "", (seoul,)), ("country", "city", "district", "dong"))


# --- Brazil: country > state > municipality (Jaboatão dos Guararapes) > neighbourhood ------------------

# neighbourhood, weight, learning hub (index into BR_HUBS)
BR_NEIGHBOURHOODS: tuple[tuple[str, float, int], ...] = (
    ("Jaboatão Centro", 1.2, 0),
    ("Santo Aleixo", 0.8, 0),
    ("Vila Rica", 0.7, 0),
    ("Engenho Velho", 0.6, 0),
    ("Cavaleiro", 2.0, 1),
    ("Dois Carneiros", 0.7, 1),
    ("Zumbi do Pacheco", 0.6, 1),
    ("Vista Alegre", 0.6, 1),
    ("Curado", 1.5, 2),
    ("Jardim Jordão", 1.6, 2),
    ("Sucupira", 0.9, 2),
    ("Marcos Freire", 0.9, 3),
    ("Muribeca", 1.0, 3),
    ("Socorro", 0.8, 3),
    ("Comportas", 0.5, 3),
    ("Prazeres", 2.2, 4),
    ("Cajueiro Seco", 1.3, 4),
    ("Guararapes", 0.9, 4),
    ("Floriano", 0.5, 4),
    ("Piedade", 2.4, 5),
    ("Candeias", 1.6, 5),
    ("Barra de Jangada", 1.2, 5),
    ("Jardim Piedade", 0.6, 5),
)

BR_HUBS = (
    "Polo Jaboatão Centro",
    "Polo Cavaleiro",
    "Polo Curado",
    "Polo Muribeca",
    "Polo Prazeres",
    "Polo Praias",
)


def _br() -> AreaTable:
    bairros: tuple[_Node, ...] = tuple(
        (f"BR-2607901{k + 1:03d}", name, weight, f"{54000 + 20 * k:05d}", ())
        for k, (name, weight, _hub) in enumerate(BR_NEIGHBOURHOODS)
    )
    municipality: _Node = ("BR-2607901", "Jaboatão dos Guararapes", 1.0, "", bairros)
    state: _Node = ("BR-26", "Pernambuco", 1.0, "", (municipality,))
    return _flatten(
        ("BR", "Brasil", 1.0, "", (state,)), ("country", "state", "municipality", "neighbourhood")
    )


def area_table(country: str) -> AreaTable:
    """The area hierarchy of ``country`` (``pt``, ``bd``, ``kr`` or ``br``)."""
    builders = {"pt": _pt, "bd": _bd, "kr": _kr, "br": _br}
    return builders[country]()
