from waystation.accounts.policy import Perm, system_actor
from waystation.knowledge.models import Page
from waystation.knowledge.services import page_create

# Pages in tests are written as the operator's command writes the shipped ones.
EDITOR = system_actor("test.knowledge", Perm.KNOWLEDGE_EDIT)


def make_page(
    *,
    topic: str = "if-detained",
    language: str = "en",
    title: str = "What to do if you are detained",
    body: str = "Stay calm and **ask for a lawyer**.",
    category: str = "detention",
    is_public: bool = False,
    country: str = "",
    actor=EDITOR,
) -> Page:
    return page_create(
        actor=actor,
        topic=topic,
        language=language,
        category=category,
        title=title,
        body=body,
        country=country,
        is_public=is_public,
    )
