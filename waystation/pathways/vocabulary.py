"""The fixed words of the catalogue: kinds of pathway and kinds of evidence, with their labels.

``schema.json`` lists the same values (a test keeps the two equal). Evidence kinds are what
per-case readiness will match against what a case holds, so a new kind is added in both places
and, once readiness exists, mapped there too.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PathwayKind(models.TextChoices):
    HUMANITARIAN_VISA = "humanitarian_visa", _("Humanitarian visa")
    NATIONAL_ASYLUM = "national_asylum", _("National asylum")
    RESETTLEMENT = "resettlement", _("Resettlement")
    PRIVATE_SPONSORSHIP = "private_sponsorship", _("Private sponsorship")
    HUMANITARIAN_PAROLE = "humanitarian_parole", _("Humanitarian parole")
    HOST_STATE_REFUGEE_STATUS = "host_state_refugee_status", _("Refugee status in the host state")
    FAMILY_REUNIFICATION = "family_reunification", _("Family reunification")
    WORK_OR_STUDY_VISA = "work_or_study_visa", _("Work or study visa")


class EvidenceKind(models.TextChoices):
    IDENTITY_DOCUMENT = "identity_document", _("Identity document (passport, internal passport)")
    MILITARY_ID = "military_id", _("Military ID or service record")
    CALL_UP_NOTICE = "call_up_notice", _("Call-up or mobilisation notice")
    WANTED_LISTING = "wanted_listing", _("Entry in a wanted list")
    CRIMINAL_CASE = "criminal_case", _("Criminal case papers (desertion, evasion, other charges)")
    DETENTION_RECORD = "detention_record", _("Record of arrest or detention")
    TESTIMONY = "testimony", _("The person's own statement")
    ANTI_WAR_ACTIVITY = "anti_war_activity", _("Proof of anti-war views or activity")
    FAMILY_TIE = "family_tie", _("Proof of family ties")
    CONNECTION_TO_COUNTRY = (
        "connection_to_country",
        _("Proof of ties to the destination country (earlier stay, language, work, support)"),
    )
    RESIDENCE_IN_COUNTRY = (
        "residence_in_country",
        _("Proof of stay in the host country (registration, permit)"),
    )
    PRESENCE_ON_TERRITORY = (
        "presence_on_territory",
        _("Proof of presence in the country where the application is made"),
    )
    THREAT_EVIDENCE = (
        "threat_evidence",
        _("Evidence of threats or danger (messages, visits, extradition requests)"),
    )
    COUNTRY_INFORMATION = (
        "country_information",
        _("Country information (reports on the army, the war, treatment of deserters)"),
    )
    MEDICAL_RECORD = "medical_record", _("Medical records")
    UNHCR_REGISTRATION = "unhcr_registration", _("UNHCR registration or refugee recognition")
    SPONSOR = "sponsor", _("A sponsor or supporter in the destination country")
    JOB_OR_STUDY_OFFER = "job_or_study_offer", _("Job offer or admission to studies")
    OTHER = "other", _("Other documents")
