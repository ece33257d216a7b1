from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.screening import services
from waystation.screening.models import Ground, Outcome, Standard

SAW = "Saw the platoon commander order prisoners shot behind the school in Posad."
DID = "Drove the supply truck; says he refused to guard the prisoners."
CONCERN = "His platoon guarded the prisoners the night before the shooting."


def second_screener(username="screener2"):
    return UserFactory(username=username, roles=[Role.SCREENER])


def interviewed(case, screener):
    return services.interview_record(
        actor=screener, case=case, unit="unit 00000", saw=SAW, did=DID, credibility="Detailed."
    )


def with_concern(screening, screener):
    return services.concern_record(
        actor=screener,
        screening=screening,
        ground=Ground.WAR_CRIME,
        standard=Standard.TO_EXAMINE,
        description=CONCERN,
    )


def proposed(screening, screener, outcome=Outcome.PROCEED):
    return services.decision_propose(
        actor=screener,
        screening=screening,
        outcome=outcome,
        reasons="Consistent account; no sign of taking part.",
        no_conflict=True,
    )


def decided(screening, first, second, outcome=Outcome.PROCEED):
    proposed(screening, first, outcome)
    return services.decision_review(
        actor=second,
        screening=screening,
        agree=True,
        reasons="Agree after reading the interview.",
        no_conflict=True,
    )
