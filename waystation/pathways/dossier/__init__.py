"""The dossier for an application: what a caseworker or lawyer hands an embassy, a lawyer or an
authority for one case — a cover summary in English, German or Russian, a chronology merged
from the status timeline, the risk events and the evidence, the evidence listed with its
SHA-256, the testimonies the witness consented to share, and on request the evidence files.

It lives in the pathways app because a dossier is made for an application to a pathway of the
catalogue; it reads the case through ``cases`` and the evidence through its selectors.

- ``contents``: what the dossier holds, gathered for one user (the policy decides what);
- ``pdf``: the PDF, with the DejaVu fonts shipped in ``core/fonts`` (Cyrillic included);
- ``services``: ``dossier_build``, the audited decision, and the PDF or the streamed ZIP.
"""
