"""Demo screenings, written through the services: one in progress (amber-falcon-27, linked to
his testimony and referred for an assessment) and one decided by two screeners
(quiet-harbor-8, a concern examined and found not to meet the standard). The texts are in the
demo's language (see waystation.demo)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import pgettext

from . import services
from .models import AssessmentResult, Ground, Outcome, Standard


def demo_screening(*, first, second, in_progress, decided) -> None:
    today = timezone.localdate()
    services.interview_record(
        actor=first,
        case=in_progress,
        interviewed_on=today - timedelta(days=20),
        unit=pgettext("demo", "Motor rifle brigade, supply company"),
        rank=pgettext("demo", "Junior sergeant, driver"),
        periods=pgettext("demo", "Contract from 2023; deployed February–April 2026"),
        places=pgettext(
            "demo",
            "Zaporizhzhia region, the village and the school named in his testimony",
        ),
        saw=pgettext(
            "demo",
            "The execution of prisoners near the school on 14 March (see his testimony).",
        ),
        did=pgettext(
            "demo",
            "Drove supply trucks between the depot and the positions; says he was not at the "
            "school that morning.",
        ),
        credibility=pgettext(
            "demo",
            "Detailed and consistent with the photo and the chat export he brought.",
        ),
    )
    screening = in_progress.screening
    testimony = in_progress.testimonies.first()
    if testimony is not None:
        services.corroboration_link(
            actor=first,
            screening=screening,
            testimony=testimony,
            note=pgettext("demo", "Same date and place as in the interview."),
        )
    services.referral_record(
        actor=first,
        screening=screening,
        referred_on=today - timedelta(days=15),
        referral=pgettext(
            "demo",
            "Psychologist of the partner foundation: assessment before relocation.",
        ),
    )

    services.interview_record(
        actor=second,
        case=decided,
        interviewed_on=today - timedelta(days=40),
        unit=pgettext("demo", "Received a call-up; never served"),
        rank="—",
        periods="—",
        places="—",
        saw=pgettext("demo", "Nothing at the front."),
        did=pgettext("demo", "Left with his family after the call-up."),
        credibility=pgettext("demo", "Call-up paper seen; account consistent."),
    )
    screening = decided.screening
    services.concern_record(
        actor=second,
        screening=screening,
        ground=Ground.SERIOUS_NON_POLITICAL,
        standard=Standard.NOT_MET,
        description=pgettext(
            "demo",
            "A fine for a road accident in 2019 came up in the interview; minor, "
            "not a serious crime.",
        ),
    )
    services.assessment_record(
        actor=second,
        screening=screening,
        assessed_on=today - timedelta(days=30),
        result=AssessmentResult.SUPPORT,
        assessment=pgettext("demo", "No risk; the children need support after the move."),
    )
    services.decision_propose(
        actor=second,
        screening=screening,
        outcome=Outcome.PROCEED_WITH_CONDITIONS,
        conditions=pgettext("demo", "School places for the children before relocation."),
        reasons=pgettext(
            "demo",
            "No exclusion ground; credible account; the family depends on him.",
        ),
        no_conflict=True,
    )
    services.decision_review(
        actor=first,
        screening=screening,
        agree=True,
        reasons=pgettext("demo", "Agree: the concern does not meet the standard."),
        no_conflict=True,
    )
