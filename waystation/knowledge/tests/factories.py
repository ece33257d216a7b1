from waystation.knowledge.models import Page
from waystation.knowledge.services import page_create


def make_page(
    *,
    topic: str = "if-detained",
    language: str = "en",
    title: str = "What to do if you are detained",
    body: str = "Stay calm and **ask for a lawyer**.",
    category: str = "detention",
    is_public: bool = False,
    country: str = "",
    actor=None,
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
