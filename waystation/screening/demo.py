"""Demo screenings, written through the services: one in progress (amber-falcon-27, linked to
his testimony and referred for an assessment) and one decided by two screeners
(quiet-harbor-8, a concern examined and found not to meet the standard)."""

from datetime import timedelta

from django.utils import timezone

from . import services
from .models import AssessmentResult, Ground, Outcome, Standard


def demo_screening(*, first, second, in_progress, decided) -> None:
    today = timezone.localdate()
    services.interview_record(
        actor=first,
        case=in_progress,
        interviewed_on=today - timedelta(days=20),
        unit="Motor rifle brigade, supply company",
        rank="Junior sergeant, driver",
        periods="Contract from 2023; deployed February–April 2026",
        places="Zaporizhzhia region, the village and the school named in his testimony",
        saw="The execution of prisoners near the school on 14 March (see his testimony).",
        did="Drove supply trucks between the depot and the positions; says he was not at the "
        "school that morning.",
        credibility="Detailed and consistent with the photo and the chat export he brought.",
    )
    screening = in_progress.screening
    testimony = in_progress.testimonies.first()
    if testimony is not None:
        services.corroboration_link(
            actor=first,
            screening=screening,
            testimony=testimony,
            note="Same date and place as in the interview.",
        )
    services.referral_record(
        actor=first,
        screening=screening,
        referred_on=today - timedelta(days=15),
        referral="Psychologist of the partner foundation: assessment before relocation.",
    )

    services.interview_record(
        actor=second,
        case=decided,
        interviewed_on=today - timedelta(days=40),
        unit="Received a call-up; never served",
        rank="—",
        periods="—",
        places="—",
        saw="Nothing at the front.",
        did="Left with his family after the call-up.",
        credibility="Call-up paper seen; account consistent.",
    )
    screening = decided.screening
    services.concern_record(
        actor=second,
        screening=screening,
        ground=Ground.SERIOUS_NON_POLITICAL,
        standard=Standard.NOT_MET,
        description="A fine for a road accident in 2019 came up in the interview; minor, "
        "not a serious crime.",
    )
    services.assessment_record(
        actor=second,
        screening=screening,
        assessed_on=today - timedelta(days=30),
        result=AssessmentResult.SUPPORT,
        assessment="No risk; the children need support after the move.",
    )
    services.decision_propose(
        actor=second,
        screening=screening,
        outcome=Outcome.PROCEED_WITH_CONDITIONS,
        conditions="School places for the children before relocation.",
        reasons="No exclusion ground; credible account; the family depends on him.",
        no_conflict=True,
    )
    services.decision_review(
        actor=first,
        screening=screening,
        agree=True,
        reasons="Agree: the concern does not meet the standard.",
        no_conflict=True,
    )
