"""The words of the public pages themselves (the services' words come from their packs).

English and Portuguese for now; a language missing here shows the English words, marked lang="en".
"""

from __future__ import annotations

UI: dict[str, dict[str, str]] = {
    "en": {
        "skip": "Skip to the content",
        "home": "GovReach home: all services",
        "languages": "Languages",
        "catalogue_title": "Public services",
        "catalogue_intro": (
            "The services this GovReach runs. Each page says who is entitled, on what legal basis, "
            "and which facts a decision needs."
        ),
        "no_services": "No service is loaded yet. Load one with: govreach packs load packs/",
        "kind": "Type of service",
        "country": "Country",
        "decides_on": "Decides on",
        "owner": "Run by",
        "version": "Version",
        "legal_basis": "Legal basis",
        "from": "from",
        "more": "Who is entitled, and why",
        "for_developers": "For developers",
        "api_docs": "API documentation",
        "openapi": "OpenAPI document (JSON)",
        "entitled": "Who is entitled",
        "main_decision": "the service's answer",
        "all_of": "All of these:",
        "any_of": "At least one of these:",
        "rule": "Rule",
        "law": "Law",
        "parameters": "Limits and amounts in force on {date}",
        "not_in_force": "not in force on this date",
        "since": "since",
        "inputs": "Facts a decision needs",
        "inputs_household": "About the household:",
        "inputs_person": "About the person:",
        "member_inputs": "About each member of the household:",
        "type": "Type",
        "unit": "Unit",
        "allowed": "one of",
        "ask": "Ask for a decision",
        "ask_intro": "Software can ask for a decision, with its full explanation, by sending these facts to:",
        "detail_json": "This service as JSON",
        "unavailable": "This service is temporarily unavailable. Please try again later.",
        "application": "Apply for it",
        "proactive": "Given automatically, without applying",
        "outreach": "Outreach: we come to you",
        "programme": "Programme with limited places",
        "household": "a household",
        "person": "a person",
        "footer": "GovReach: public services declared once, decided with an explanation.",
    },
    "pt": {
        "skip": "Saltar para o conteúdo",
        "home": "Início do GovReach: todos os serviços",
        "languages": "Línguas",
        "catalogue_title": "Serviços públicos",
        "catalogue_intro": (
            "Os serviços prestados por este GovReach. Cada página diz quem tem direito, com que base "
            "legal e que factos uma decisão precisa."
        ),
        "no_services": "Ainda não há serviços carregados. Carregue-os com: govreach packs load packs/",
        "kind": "Tipo de serviço",
        "country": "País",
        "decides_on": "Decide sobre",
        "owner": "Entidade responsável",
        "version": "Versão",
        "legal_basis": "Base legal",
        "from": "desde",
        "more": "Quem tem direito, e porquê",
        "for_developers": "Para programadores",
        "api_docs": "Documentação da API",
        "openapi": "Documento OpenAPI (JSON)",
        "entitled": "Quem tem direito",
        "main_decision": "a resposta do serviço",
        "all_of": "Todas estas condições:",
        "any_of": "Pelo menos uma destas condições:",
        "rule": "Regra",
        "law": "Lei",
        "parameters": "Limites e montantes em vigor em {date}",
        "not_in_force": "sem valor em vigor nesta data",
        "since": "desde",
        "inputs": "Factos de que uma decisão precisa",
        "inputs_household": "Sobre o agregado familiar:",
        "inputs_person": "Sobre a pessoa:",
        "member_inputs": "Sobre cada membro do agregado:",
        "type": "Tipo",
        "unit": "Unidade",
        "allowed": "um de",
        "ask": "Pedir uma decisão",
        "ask_intro": (
            "Um programa pode pedir uma decisão, com a explicação completa, enviando estes factos para:"
        ),
        "detail_json": "Este serviço em JSON",
        "unavailable": "Este serviço está temporariamente indisponível. Tente mais tarde.",
        "application": "Mediante pedido",
        "proactive": "Atribuído automaticamente, sem pedido",
        "outreach": "Proximidade: vamos até si",
        "programme": "Programa com vagas limitadas",
        "household": "o agregado familiar",
        "person": "a pessoa",
        "footer": "GovReach: serviços públicos declarados uma vez, decididos com uma explicação.",
    },
}

COUNTRIES: dict[str, dict[str, str]] = {
    "en": {"PT": "Portugal", "BD": "Bangladesh", "KR": "Republic of Korea", "BR": "Brazil"},
    "pt": {"PT": "Portugal", "BD": "Bangladexe", "KR": "República da Coreia", "BR": "Brasil"},
}


def ui_language(language: str) -> str:
    """The language of the page's own words: ``language`` (or its base) if we have it, else English."""
    if language in UI:
        return language
    base = language.split("-")[0]
    return base if base in UI else "en"


def ui_texts(language: str) -> dict[str, str]:
    return UI[ui_language(language)]


def country_name(code: str, language: str) -> str:
    return COUNTRIES.get(ui_language(language), {}).get(code) or COUNTRIES["en"].get(code) or code
